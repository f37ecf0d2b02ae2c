#include "mcpgate/store/session_table.hpp"

namespace mcpgate::store {

namespace {

constexpr std::string_view sessions_schema = R"sql(
CREATE TABLE mcp_sessions (
  id                  TEXT PRIMARY KEY,
  transport           TEXT NOT NULL,
  protocol_version    TEXT NOT NULL,
  client_capabilities TEXT NOT NULL,
  client_info         TEXT NOT NULL,
  log_level           TEXT NOT NULL,
  last_used_ms        INTEGER NOT NULL
);
CREATE INDEX mcp_sessions_last_used ON mcp_sessions(last_used_ms);
)sql";

// PostgreSQL's INTEGER is 32 bits: milliseconds since 1970 need BIGINT.
constexpr std::string_view sessions_schema_postgresql = R"sql(
CREATE TABLE mcp_sessions (
  id                  TEXT PRIMARY KEY,
  transport           TEXT NOT NULL,
  protocol_version    TEXT NOT NULL,
  client_capabilities TEXT NOT NULL,
  client_info         TEXT NOT NULL,
  log_level           TEXT NOT NULL,
  last_used_ms        BIGINT NOT NULL
);
CREATE INDEX mcp_sessions_last_used ON mcp_sessions(last_used_ms);
)sql";

}  // namespace

Migration sessions_migration() {
  return Migration{3, "MCP sessions that outlive the process", sessions_schema,
                   sessions_schema_postgresql};
}

Migration session_subject_migration() {
  return Migration{5, "the subject an MCP session belongs to",
                   "ALTER TABLE mcp_sessions ADD COLUMN subject TEXT NOT NULL DEFAULT '';"};
}

SessionTable::SessionTable(std::shared_ptr<Database> database) : database_(std::move(database)) {}

void SessionTable::put(const SessionRow& row) {
  database_->write([&](Connection& c) {
    c.prepare(
         "INSERT INTO mcp_sessions(id, transport, protocol_version, client_capabilities, "
         "client_info, log_level, last_used_ms, subject) VALUES(?, ?, ?, ?, ?, ?, ?, ?) "
         "ON CONFLICT(id) DO UPDATE SET transport = excluded.transport, "
         "protocol_version = excluded.protocol_version, "
         "client_capabilities = excluded.client_capabilities, client_info = excluded.client_info, "
         "log_level = excluded.log_level, last_used_ms = excluded.last_used_ms, "
         "subject = excluded.subject")
        .bind_all(row.id, row.transport, row.protocol_version, row.client_capabilities,
                  row.client_info, row.log_level, row.last_used_ms, row.subject)
        .run();
  });
}

std::optional<SessionRow> SessionTable::get(const std::string& id) {
  return database_->read([&](Connection& c) -> std::optional<SessionRow> {
    auto s = c.prepare(
        "SELECT transport, protocol_version, client_capabilities, client_info, log_level, "
        "last_used_ms, subject FROM mcp_sessions WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return SessionRow{.id = id,
                      .transport = s.text(0),
                      .protocol_version = s.text(1),
                      .client_capabilities = s.text(2),
                      .client_info = s.text(3),
                      .log_level = s.text(4),
                      .last_used_ms = s.int64(5),
                      .subject = s.text(6)};
  });
}

std::vector<std::string> SessionTable::touch(const std::vector<Use>& uses,
                                             std::int64_t last_used_ms) {
  if (uses.empty()) return {};
  return database_->write([&](Connection& c) {
    std::vector<std::string> missing;
    for (const auto& use : uses) {
      // CASE rather than max(a, b) (SQLite) or GREATEST (PostgreSQL): the same on both.
      c.prepare("UPDATE mcp_sessions SET log_level = ?2, last_used_ms = CASE "
                "WHEN last_used_ms > ?1 THEN last_used_ms ELSE ?1 END WHERE id = ?3")
          .bind_all(last_used_ms, use.log_level, use.id)
          .run();
      if (c.changes() == 0) missing.push_back(use.id);
    }
    return missing;
  });
}

bool SessionTable::remove(const std::string& id) {
  return database_->write([&](Connection& c) {
    c.prepare("DELETE FROM mcp_sessions WHERE id = ?").bind(1, id).run();
    return c.changes() > 0;
  });
}

std::size_t SessionTable::remove_unused_since(std::int64_t before_ms) {
  return database_->write([&](Connection& c) {
    c.prepare("DELETE FROM mcp_sessions WHERE last_used_ms < ?").bind(1, before_ms).run();
    return static_cast<std::size_t>(c.changes());
  });
}

}  // namespace mcpgate::store
