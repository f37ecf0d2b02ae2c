// The peer events table: what one process tells the others that share its store file (see
// sessions/peer_bus.hpp). Rows are appended with an increasing sequence number, read by the
// others after the last one they saw, and pruned once old: a log, not a queue, so any number
// of readers see every row without claiming it.
//
// On PostgreSQL each append also notifies (pg_notify, delivered at its commit) the channel that
// listen() hears, so that readers wake at once instead of polling often; on SQLite listen() is
// nullptr and readers poll. The row stays the event: the notification carries only its seq.
//
// Every method is safe from any thread (each takes a connection from the Database's pool) and
// is one short transaction.
#pragma once

#include "mcpgate/store/database.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mcpgate::store {

struct PeerEventRow {
  std::int64_t seq = 0;
  std::string origin;      // the publishing process's random token
  std::string kind;
  std::string session_id;  // "" when the event is not about one session
  std::string body;
  std::int64_t created_ms = 0;  // Unix time, milliseconds
};

// Migration 6 of the store.
[[nodiscard]] Migration peer_events_migration();

class PeerEventTable {
 public:
  explicit PeerEventTable(std::shared_ptr<Database> database);

  // Appends the row (its seq is assigned) and notifies listen()'s channel; returns that seq.
  std::int64_t append(const PeerEventRow& row);
  // Wakes when another append commits, from any process; nullptr when the engine cannot push.
  [[nodiscard]] std::unique_ptr<ChangeListener> listen();
  // Rows with seq > after, oldest first, at most `limit`.
  [[nodiscard]] std::vector<PeerEventRow> after(std::int64_t after, std::size_t limit);
  // The highest seq so far (0 when empty): where a new reader starts.
  [[nodiscard]] std::int64_t latest();
  // Deletes rows created before `before_ms`; how many.
  std::size_t prune(std::int64_t before_ms);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace mcpgate::store
