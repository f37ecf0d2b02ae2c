// Every live session of both transports: lookup by id, a cap, idle expiry and counts.
// Lookups take a short lock on the map only; sessions are shared_ptrs, so a lookup never waits
// on another session's work.
#pragma once

#include "mcpgate/sessions/session.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace mcpgate::sessions {

struct RegistryOptions {
  std::size_t max_sessions = 10000;
  std::chrono::seconds idle_ttl{3600};  // Streamable HTTP sessions idle this long are ended
  std::string id_prefix;                // e.g. "a." so a proxy can route by instance
  StreamOptions streams;
};

struct SessionCounts {
  std::size_t streamable_http = 0;
  std::size_t legacy_sse = 0;
  [[nodiscard]] std::size_t total() const { return streamable_http + legacy_sse; }
};

class SessionRegistry {
 public:
  explicit SessionRegistry(RegistryOptions options);
  ~SessionRegistry();
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // nullptr when the cap is reached.
  [[nodiscard]] std::shared_ptr<Session> create(Transport transport,
                                                std::shared_ptr<const SharedContext> context);
  // nullptr for an unknown or ended id; a hit counts as activity.
  [[nodiscard]] std::shared_ptr<Session> find(const std::string& id);
  // End and forget a session. Returns false when it was not there.
  bool remove(const std::string& id);

  [[nodiscard]] SessionCounts counts() const;
  // End idle Streamable HTTP sessions (no attached stream writer, idle past the TTL).
  std::size_t expire_idle(Session::Clock::time_point now);
  // End every session (shutdown).
  void end_all();

  // Runs expire_idle() in the background every `interval` until destruction.
  void start_reaper(std::chrono::milliseconds interval);

  [[nodiscard]] const RegistryOptions& options() const noexcept { return options_; }

  // A URL-safe id from the OS CSPRNG: the prefix, then 22 characters of [A-Za-z0-9_-].
  [[nodiscard]] static std::string random_id(std::string_view prefix);

 private:
  const RegistryOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
  SessionCounts counts_;

  std::mutex reaper_mutex_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace mcpgate::sessions
