// Every live session of both transports: lookup by id, a cap, idle expiry and counts.
// Lookups take a short lock on the map only; sessions are shared_ptrs, so a lookup never waits
// on another session's work.
//
// At the cap, a new session takes the place of the idlest one rather than being refused, so a
// flood of initializes cannot lock real clients out for the TTL. Idle means no stream open to
// the client and no request running; among the idle, sessions that never sent a request after
// initialize go first, then the one whose last request is oldest. Only when every session is
// busy is the newcomer refused. An evicted session ends like an expired one (its id gets 404).
//
// With a SessionStore, Streamable HTTP sessions outlive the process: an initialized session's
// record is saved, and an id this registry does not hold is looked up there and the session
// restored (restore()), so a restarted server or another instance on the same store carries it
// on. A record's last use is written at most every store_use_interval (not per request); it
// expires for every instance once idle_ttl passes without one. DELETE and eviction delete the
// record; shutdown keeps them all. An instance that finds its session's record gone (deleted
// by another) ends the session when it next writes its use.
#pragma once

#include "mcpgate/sessions/session.hpp"
#include "mcpgate/sessions/session_store.hpp"

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
  // Where Streamable HTTP sessions' records are kept (null: sessions die with the process).
  std::shared_ptr<SessionStore> store;
  // A record's last use is written at most this often per session (and a quarter of idle_ttl
  // at most): a write is a synced transaction, too dear for every request, and a few seconds
  // are nothing against idle_ttl. A record may thus expire up to this much before its session
  // would have here.
  std::chrono::milliseconds store_use_interval{5000};
  // Called after a DELETE or an eviction here deleted a session's record, so that the other
  // processes on the store that hold the session end it too (sessions/peer_bus.hpp). Not for
  // expiry: every process expires a session by its record's own last use.
  std::function<void(const std::string& id)> record_deleted;
  // Called after a logging/setLevel here was written to a session's record, so that the other
  // processes holding the session take the new level (reload_here) for the requests they serve.
  std::function<void(const std::string& id)> record_changed;
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
  // nullptr for an unknown or ended id (or one whose record another instance deleted); a hit
  // counts as activity.
  [[nodiscard]] std::shared_ptr<Session> find(const std::string& id);
  // End and forget a session, and delete its record. Returns false when it was not there.
  bool remove(const std::string& id);
  // End and forget a session that another process ended (its record is gone already): its
  // streams close and its requests are cancelled here too. False when it was not here.
  bool end_here(const std::string& id);
  // The session `id` if this process holds it: no restore, and no activity counted (for
  // messages from other processes, not from its client).
  [[nodiscard]] std::shared_ptr<Session> held(const std::string& id) const;
  // Another process changed the record of a session held here: take its log level from the
  // store. False when it is not held here (or has no record to read).
  bool reload_here(const std::string& id);

  // Whether sessions are kept in a SessionStore.
  [[nodiscard]] bool keeps_records() const noexcept { return options_.store != nullptr; }
  // Save the record of an initialized Streamable HTTP session (no-op without a store). A store
  // that fails is logged; the session goes on, without a record.
  void save_record(Session& session);
  // The Streamable HTTP session `id` from its record, for an id this registry does not hold:
  // made again as it was negotiated (revision, the client's capabilities and info, log level),
  // with new, empty streams, and registered like a new session (the cap applies). nullptr when
  // there is no store, no record (a forged id), the record expired (it is deleted then), or
  // every session is busy at the cap (`at_cap` tells that case apart).
  [[nodiscard]] std::shared_ptr<Session> restore(const std::string& id,
                                                 std::shared_ptr<const SharedContext> context,
                                                 bool* at_cap = nullptr);

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
  // End idle Streamable HTTP sessions (not busy, idle past the TTL). Their records are left to
  // expire by their own last use (another instance may be using the session).
  std::size_t expire_idle(Session::Clock::time_point now);
  // The store's side of expiry: write the last use of sessions busy here (a stream open, a
  // request running) that is due, and delete every record unused for idle_ttl. The reaper runs
  // it after expire_idle().
  void sync_records(Session::Clock::time_point now);
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

  // Register a new session (at the cap, in an evicted one's place); false when every session is
  // busy. When `id` is taken already (a concurrent restore), `session` becomes that one.
  bool admit(std::shared_ptr<Session>& session);
  // The session to evict for a newcomer, removed from the map; null when every one is busy.
  std::shared_ptr<Session> evict_idlest_locked();
  // End and forget a session; delete its record when `forget_record`.
  bool remove(const std::string& id, bool forget_record);
  // How often a session's use is written: store_use_interval, or a quarter of idle_ttl when
  // that is shorter.
  [[nodiscard]] Session::Clock::duration use_interval() const;
  // The client set the session's log level: write it now and tell the other processes.
  void log_level_set(const std::shared_ptr<Session>& session);
  // Write the use of these sessions now; end and forget those whose record is gone.
  void record_use(const std::vector<std::shared_ptr<Session>>& sessions);
  // A store call that failed: logged (at most once a minute at warning level), never thrown.
  template <class F>
  bool with_store(std::string_view what, F&& f);
  std::atomic<Session::Clock::rep> store_warned_{0};
  std::shared_ptr<Session> erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  std::mutex reaper_mutex_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace mcpgate::sessions
