// Every live session of both transports: lookup by id, a cap, idle expiry and counts.
// Lookups take a short lock on the map only; sessions are shared_ptrs, so a lookup never waits
// on another session's work.
//
// At the cap, a new session takes the place of the idlest one rather than being refused, so a
// flood of initializes cannot lock real clients out for the TTL. Idle means no stream open to
// the client and no request running; among the idle, sessions that never sent a request after
// initialize go first, then the one whose last request is oldest. Only when every session is
// busy is the newcomer refused. An evicted session ends like an expired one (its id gets 404).
#pragma once

#include "mcpgate/sessions/session.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mcpgate::sessions {

struct RegistryOptions {
  std::size_t max_sessions = 10000;
  std::size_t max_inflight = protocol::InFlightRequests::default_capacity;  // per session
  std::chrono::seconds idle_ttl{3600};  // Streamable HTTP sessions idle this long are ended
  std::string id_prefix;                // e.g. "a." so a proxy can route by instance
  // Makes each session's streams: the transport's (transport::make_streams). Unset, sessions
  // have none.
  std::function<std::unique_ptr<SessionStreams>(const std::string& session_id, Transport)>
      make_streams;
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

  // At the cap, the idlest session is evicted to make room (see above); nullptr when every
  // session is busy.
  [[nodiscard]] std::shared_ptr<Session> create(Transport transport,
                                                std::shared_ptr<const SharedContext> context);
  // nullptr for an unknown or ended id; a hit counts as activity.
  [[nodiscard]] std::shared_ptr<Session> find(const std::string& id);
  // End and forget a session. Returns false when it was not there.
  bool remove(const std::string& id);

  [[nodiscard]] SessionCounts counts() const;
  // Every open session, for a message to all of them (a list changed): copied under the lock,
  // so that the caller sends without holding it. Bounded by max_sessions.
  [[nodiscard]] std::vector<std::shared_ptr<Session>> all() const;
  // Open sessions active at or after `since`: a request or lookup since then, or busy now (a
  // stream open, a request running). Sessions whose clients left without closing them stay
  // open until the TTL; this tells them apart. One pass under the lock, as expire_idle makes,
  // bounded by max_sessions; busy() is asked only of the sessions quiet since `since`.
  [[nodiscard]] std::size_t active_since(Session::Clock::time_point since) const;
  // Sessions evicted at the cap since start.
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_.load(); }
  // Sessions ended idle past the TTL, and new ones refused at the cap, since start.
  [[nodiscard]] std::uint64_t expirations() const noexcept { return expirations_.load(); }
  [[nodiscard]] std::uint64_t refusals() const noexcept { return refusals_.load(); }
  // End idle Streamable HTTP sessions (not busy, idle past the TTL).
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
  struct Entry {
    std::shared_ptr<Session> session;
    std::uint64_t created;  // its place in fresh_
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;
  // Sessions that may never have been used, oldest first, so that a flood at the cap evicts
  // without scanning every session. A used one leaves lazily, when an eviction passes it.
  std::map<std::uint64_t, Session*> fresh_;
  std::uint64_t next_created_ = 0;
  SessionCounts counts_;
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::uint64_t> expirations_{0};
  std::atomic<std::uint64_t> refusals_{0};

  // The session to evict for a newcomer, removed from the map; null when every one is busy.
  std::shared_ptr<Session> evict_idlest_locked();
  std::shared_ptr<Session> erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  std::mutex reaper_mutex_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace mcpgate::sessions
