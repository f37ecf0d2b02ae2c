// The sessions table: one row for each open session of the session revisions that another
// process on the same store (a restarted server, another instance) may carry on. Plain SQL over
// store::Database, the same on SQLite and PostgreSQL; sessions::SessionStore
// (sessions/session_store.hpp) is the contract the session registry sees, and this is what its
// implementation runs.
//
// Rows hold what the client declared as compact JSON text, bounded by the protocol layer
// (--max-session-data) before they get here. Every method is safe from any thread (each takes
// a connection from the Database's pool); each is one short transaction.
#pragma once

#include "mcpgate/store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcpgate::store {

struct SessionRow {
  std::string id;
  std::string transport;            // "streamable_http"
  std::string protocol_version;
  std::string client_capabilities;  // compact JSON
  std::string client_info;          // compact JSON
  std::string log_level;            // an MCP log level's name
  std::int64_t last_used_ms = 0;    // Unix time, milliseconds
  std::string subject;              // "" when the session belongs to no one (migration 5)
};

// Migration 3 of the store (after the project/task schema and the knowledge base).
[[nodiscard]] Migration sessions_migration();
// Migration 5: the subject a session belongs to.
[[nodiscard]] Migration session_subject_migration();

class SessionTable {
 public:
  explicit SessionTable(std::shared_ptr<Database> database);

  // Insert, or replace the row with the same id.
  void put(const SessionRow& row);
  [[nodiscard]] std::optional<SessionRow> get(const std::string& id);
  // Record use, in one transaction: the last use of each session, and its log level (which may
  // have changed since). Returns the ids that have no row (deleted by another process).
  struct Use {
    std::string id;
    std::string log_level;
  };
  [[nodiscard]] std::vector<std::string> touch(const std::vector<Use>& uses,
                                               std::int64_t last_used_ms);
  // False when there was no such row.
  bool remove(const std::string& id);
  // Remove the rows last used before `before_ms` (any process's); how many.
  std::size_t remove_unused_since(std::int64_t before_ms);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace mcpgate::store
