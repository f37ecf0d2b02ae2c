// Where the records of Streamable HTTP sessions are kept so that a session outlives the process
// that opened it: a restarted server, or another instance sharing the store, finds the record of
// an id it does not hold and carries the session on (SessionRegistry::restore), with no 404 and
// no new initialize. A record is what the protocol negotiated (revision, the client's
// capabilities and info, its log level) and its last use; streams, running requests and their
// replay buffers die with their process.
//
// Implementations are safe to call from any thread; each call may do I/O, so the registry never
// holds its lock across one.
#pragma once

#include "mcpgate/tools/log_level.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcpgate::store {
class Database;
}

namespace mcpgate::sessions {

struct SessionRecord {
  using WallClock = std::chrono::system_clock;  // shared by processes, unlike steady_clock

  std::string id;
  std::string protocol_version;
  std::string client_capabilities = "{}";  // compact JSON, as the client declared them
  std::string client_info = "{}";          // compact JSON
  tools::LogLevel log_level = tools::LogLevel::debug;
  WallClock::time_point last_used;
  // Whose session it is (the OAuth subject that opened it; "" without OAuth): a process that
  // restores it binds it to the same subject, so another user's token still gets 404.
  std::string subject;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Keep the record of an initialized session (replacing one with the same id).
  virtual void save(const SessionRecord& record) = 0;
  // The record of `id`, or nullopt when there is none.
  [[nodiscard]] virtual std::optional<SessionRecord> load(const std::string& id) = 0;
  // Sessions in use at `when`, with their log levels now: one write for all of them. Returns
  // the ids whose record is gone (another instance deleted it: DELETE, eviction, expiry).
  struct Use {
    std::string id;
    tools::LogLevel log_level = tools::LogLevel::debug;
  };
  [[nodiscard]] virtual std::vector<std::string> record_use(
      const std::vector<Use>& uses, SessionRecord::WallClock::time_point when) = 0;
  // Forget a session (DELETE, expiry, eviction at the cap).
  virtual void remove(const std::string& id) = 0;
  // Forget every record last used before `before`, whichever process kept it; how many.
  virtual std::size_t remove_unused_since(SessionRecord::WallClock::time_point before) = 0;
};

// Records in the store (store::SessionTable, the table migration 3 adds), an SQLite file or a
// PostgreSQL database: any process on the same store sees them.
[[nodiscard]] std::shared_ptr<SessionStore> make_database_session_store(
    std::shared_ptr<store::Database> database);

}  // namespace mcpgate::sessions
