#include "mcpgate/store/peer_event_table.hpp"

namespace mcpgate::store {

namespace {

// AUTOINCREMENT: a seq is never reused, even after the newest rows are pruned, so a reader's
// "after" position stays meaningful.
// The channel appends notify (PostgreSQL identifiers: lower case, under 64 bytes).
constexpr const char* peer_events_channel = "mcpgate_peer_events";

// Any constant, the same in every mcpgate, and not the migrations' (store/postgres.cpp).
constexpr const char* peer_events_append_lock = "SELECT pg_advisory_xact_lock(7156443908412368)";

constexpr std::string_view peer_events_schema = R"sql(
CREATE TABLE mcp_peer_events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  origin      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL
);
CREATE INDEX mcp_peer_events_created ON mcp_peer_events(created_ms);
)sql";

// An identity column is PostgreSQL's AUTOINCREMENT (never reused); milliseconds need BIGINT.
constexpr std::string_view peer_events_schema_postgresql = R"sql(
CREATE TABLE mcp_peer_events (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  origin      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_ms  BIGINT NOT NULL
);
CREATE INDEX mcp_peer_events_created ON mcp_peer_events(created_ms);
)sql";

}  // namespace

Migration peer_events_migration() {
  return Migration{6, "events between processes sharing the store", peer_events_schema,
                   peer_events_schema_postgresql};
}

PeerEventTable::PeerEventTable(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

std::int64_t PeerEventTable::append(const PeerEventRow& row) {
  const bool postgresql = database_->kind() == "postgresql";
  return database_->write([&](Connection& c) {
    // A reader reads the rows after the last seq it saw, so seqs must become visible in their
    // order. PostgreSQL hands out identity values at INSERT, not at COMMIT: without this lock
    // (held to the end of the transaction, which is visible before it is released) a writer
    // could commit seq 6 while seq 5 is still being written, and a reader that saw 6 would
    // never read 5. SQLite has one writer at a time already. PostgreSQL's NOTIFY serialises
    // these commits anyway (its queue lock), so the lock costs little more.
    if (postgresql) c.exec(peer_events_append_lock);
    auto inserted = c.prepare(
        "INSERT INTO mcp_peer_events(origin, kind, session_id, body, created_ms) "
        "VALUES(?, ?, ?, ?, ?) RETURNING seq");
    inserted.bind_all(row.origin, row.kind, row.session_id, row.body, row.created_ms);
    inserted.step();
    const std::int64_t seq = inserted.int64(0);
    inserted.run();  // to the end, so that the insert is complete
    c.notify(peer_events_channel, std::to_string(seq));
    return seq;
  });
}

std::unique_ptr<ChangeListener> PeerEventTable::listen() { return database_->listen(peer_events_channel); }

std::vector<PeerEventRow> PeerEventTable::after(std::int64_t after, std::size_t limit) {
  return database_->read([&](Connection& c) {
    auto s = c.prepare(
        "SELECT seq, origin, kind, session_id, body, created_ms FROM mcp_peer_events "
        "WHERE seq > ? ORDER BY seq LIMIT ?");
    s.bind_all(after, static_cast<std::int64_t>(limit));
    std::vector<PeerEventRow> rows;
    while (s.step())
      rows.push_back(PeerEventRow{.seq = s.int64(0),
                                  .origin = s.text(1),
                                  .kind = s.text(2),
                                  .session_id = s.text(3),
                                  .body = s.text(4),
                                  .created_ms = s.int64(5)});
    return rows;
  });
}

std::int64_t PeerEventTable::latest() {
  return database_->read([](Connection& c) {
    auto s = c.prepare("SELECT coalesce(max(seq), 0) FROM mcp_peer_events");
    s.step();
    return s.int64(0);
  });
}

std::size_t PeerEventTable::prune(std::int64_t before_ms) {
  return database_->write([&](Connection& c) {
    c.prepare("DELETE FROM mcp_peer_events WHERE created_ms < ?").bind(1, before_ms).run();
    return static_cast<std::size_t>(c.changes());
  });
}

}  // namespace mcpgate::store
