#include "mcpgate/sessions/registry.hpp"

#include "mcpgate/util/secure_random.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace mcpgate::sessions {

namespace {

std::size_t& count_for(SessionCounts& counts, Transport transport) {
  return transport == Transport::streamable_http ? counts.streamable_http : counts.legacy_sse;
}

long long seconds_since(Session::Clock::time_point then) {
  return std::chrono::duration_cast<std::chrono::seconds>(Session::Clock::now() - then).count();
}

}  // namespace

std::string SessionRegistry::random_id(std::string_view prefix) {
  return util::random_id(prefix);
}

SessionRegistry::SessionRegistry(RegistryOptions options) : options_(std::move(options)) {}

SessionRegistry::~SessionRegistry() {
  {
    std::lock_guard lock(reaper_mutex_);
    stopping_ = true;
  }
  reaper_wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  end_all();
}

std::shared_ptr<Session> SessionRegistry::create(Transport transport,
                                                 std::shared_ptr<const SharedContext> context) {
  std::string id = random_id(options_.id_prefix);
  auto streams = options_.make_streams ? options_.make_streams(id, transport) : nullptr;
  auto session = std::make_shared<Session>(std::move(id), transport, std::move(context),
                                           std::move(streams), options_.max_inflight);
  if (!admit(session)) return nullptr;
  spdlog::info("session {} opened ({})", session->id(), to_string(transport));
  return session;
}

bool SessionRegistry::admit(std::shared_ptr<Session>& session) {
  if (options_.store)
    session->on_log_level_set([this, weak = std::weak_ptr<Session>(session)] {
      if (auto held = weak.lock()) log_level_set(held);
    });
  std::shared_ptr<Session> evicted;
  {
    std::lock_guard lock(mutex_);
    if (auto it = sessions_.find(session->id()); it != sessions_.end()) {
      session = it->second.session;  // restored by another thread meanwhile
      return true;
    }
    if (sessions_.size() >= options_.max_sessions) {
      evicted = evict_idlest_locked();
      if (!evicted) {
        refusals_.fetch_add(1);
        return false;
      }
    }
    const std::uint64_t created = next_created_++;
    sessions_.emplace(session->id(), Entry{session, created});
    fresh_.emplace(created, session.get());
    ++count_for(counts_, session->transport());
  }
  if (evicted) {
    evicted->end();  // outside the lock: wakes writers and waiters
    evictions_.fetch_add(1);
    spdlog::info("session {} evicted ({}): the session cap ({}) was reached and it was the "
                 "idlest ({} s since its last request{})",
                 evicted->id(), to_string(evicted->transport()), options_.max_sessions,
                 seconds_since(evicted->last_active()),
                 evicted->used() ? "" : ", none after initialize");
    if (evicted->has_record() &&
        with_store("delete an evicted session's record", [&] { options_.store->remove(evicted->id()); }) &&
        options_.record_deleted)
      options_.record_deleted(evicted->id());
  }
  return true;
}

std::shared_ptr<Session> SessionRegistry::evict_idlest_locked() {
  // Never-used sessions first, oldest first: a flood of initializes evicts its own sessions
  // in constant time (a scan of the whole map took each newcomer 2 ms at 10,000 sessions).
  for (auto it = fresh_.begin(); it != fresh_.end();) {
    const Session& candidate = *it->second;
    if (candidate.used()) {
      it = fresh_.erase(it);
      continue;
    }
    if (!candidate.busy()) return erase_locked(sessions_.find(candidate.id()));
    ++it;
  }
  // Every idle session was used: the one idle longest.
  auto victim = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    const Session& candidate = *it->second.session;
    if (candidate.busy()) continue;
    if (victim == sessions_.end() ||
        candidate.last_active() < victim->second.session->last_active())
      victim = it;
  }
  return victim == sessions_.end() ? nullptr : erase_locked(victim);
}

std::shared_ptr<Session> SessionRegistry::erase_locked(
    std::unordered_map<std::string, Entry>::iterator it) {
  auto session = std::move(it->second.session);
  fresh_.erase(it->second.created);
  sessions_.erase(it);
  --count_for(counts_, session->transport());
  return session;
}

std::shared_ptr<Session> SessionRegistry::find(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    session = it->second.session;
  }
  if (session->ended()) return nullptr;
  const auto now = Session::Clock::now();
  session->touch();
  if (options_.store && session->claim_record_use(now, use_interval())) {
    record_use({session});
    if (session->ended()) return nullptr;  // its record was gone: ended elsewhere
  }
  return session;
}

bool SessionRegistry::remove(const std::string& id) { return remove(id, true); }

bool SessionRegistry::end_here(const std::string& id) { return remove(id, false); }

std::shared_ptr<Session> SessionRegistry::held(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.session;
}

bool SessionRegistry::reload_here(const std::string& id) {
  auto session = held(id);
  if (!session || !options_.store) return false;
  std::optional<SessionRecord> record;
  if (!with_store("read a session's record", [&] { record = options_.store->load(id); }) || !record)
    return false;
  session->load_log_level(record->log_level);
  session->record_written(Session::Clock::now());  // the record holds this level: no write due
  return true;
}

void SessionRegistry::log_level_set(const std::shared_ptr<Session>& session) {
  // Not at the next use's write: a request the client sends next to another process must log
  // at the level it asked for.
  if (!session->has_record()) return;
  session->record_written(Session::Clock::now());
  record_use({session});
  if (!session->ended() && options_.record_changed) options_.record_changed(session->id());
}

Session::Clock::duration SessionRegistry::use_interval() const {
  // Several writes per TTL, so that a record does not expire while its session is in use.
  const auto quarter_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.idle_ttl) / 4;
  return std::min<Session::Clock::duration>(options_.store_use_interval, quarter_ttl);
}

bool SessionRegistry::remove(const std::string& id, bool forget_record) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = erase_locked(it);
  }
  session->end();  // outside the lock: wakes writers and waiters
  spdlog::info("session {} closed ({})", id, to_string(session->transport()));
  if (forget_record && session->has_record() &&
      with_store("delete a session's record", [&] { options_.store->remove(id); }) &&
      options_.record_deleted)
    options_.record_deleted(id);
  return true;
}

template <class F>
bool SessionRegistry::with_store(std::string_view what, F&& f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    // A store that fails fails for every request: once a minute at warning level is enough.
    const auto now = Session::Clock::now().time_since_epoch().count();
    auto last = store_warned_.load();
    const auto minute = std::chrono::duration_cast<Session::Clock::duration>(std::chrono::minutes(1)).count();
    const bool warn = now - last >= minute && store_warned_.compare_exchange_strong(last, now);
    spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
                "session store: cannot {}: {}", what, e.what());
    return false;
  }
}

void SessionRegistry::save_record(Session& session) {
  if (!options_.store || session.transport() != Transport::streamable_http) return;
  const auto now = Session::Clock::now();
  const SessionRecord record{
      .id = session.id(),
      .protocol_version = session.protocol_version(),
      .client_capabilities = session.client_capabilities().dump(),
      .client_info = session.client_info().dump(),
      .log_level = session.log_level(),
      .last_used = SessionRecord::WallClock::now(),
      .subject = session.access().subject};
  if (with_store("save a session's record", [&] { options_.store->save(record); }))
    session.record_written(now);
}

std::shared_ptr<Session> SessionRegistry::restore(const std::string& id,
                                                  std::shared_ptr<const SharedContext> context,
                                                  bool* at_cap) {
  if (at_cap) *at_cap = false;
  if (!options_.store) return nullptr;
  std::optional<SessionRecord> record;
  if (!with_store("look a session up", [&] { record = options_.store->load(id); }) || !record)
    return nullptr;
  const auto idle = SessionRecord::WallClock::now() - record->last_used;
  if (idle >= options_.idle_ttl) {
    with_store("delete an expired session's record", [&] { options_.store->remove(id); });
    spdlog::info("session {}: its record expired ({} s idle); not restored", id,
                 std::chrono::duration_cast<std::chrono::seconds>(idle).count());
    return nullptr;
  }
  const auto parse = [](const std::string& text) {
    auto value = nlohmann::json::parse(text, nullptr, false);
    return value.is_object() ? value : nlohmann::json::object();
  };
  auto streams = options_.make_streams ? options_.make_streams(id, Transport::streamable_http) : nullptr;
  auto session = std::make_shared<Session>(id, Transport::streamable_http, std::move(context),
                                           std::move(streams), options_.max_inflight);
  session->initialize({.protocol_version = record->protocol_version,
                       .client_capabilities = parse(record->client_capabilities),
                       .client_info = parse(record->client_info)});
  session->mark_client_ready();
  session->load_log_level(record->log_level);
  // Bound to its subject as it was; each request's own access (its scopes) replaces this once
  // the transport has checked that the request comes from that subject.
  session->set_access(protocol::Access{
      .subject = record->subject, .scopes = {}, .every_scope = record->subject.empty()});
  const auto now = Session::Clock::now();
  session->record_written(now - use_interval());  // this request is a use, to be written
  const Session* made = session.get();
  if (!admit(session)) {
    if (at_cap) *at_cap = true;
    return nullptr;
  }
  if (session.get() != made) return session;  // another request restored it first
  spdlog::info("session {} restored from the store (protocol {}, {} s since its last use)", id,
               record->protocol_version,
               std::chrono::duration_cast<std::chrono::seconds>(idle).count());
  if (session->claim_record_use(now, use_interval())) record_use({session});
  return session->ended() ? nullptr : session;
}

void SessionRegistry::record_use(const std::vector<std::shared_ptr<Session>>& sessions) {
  std::vector<SessionStore::Use> uses;
  uses.reserve(sessions.size());
  for (const auto& session : sessions) uses.push_back({.id = session->id(), .log_level = session->log_level()});
  std::vector<std::string> gone;
  with_store("record sessions' use",
             [&] { gone = options_.store->record_use(uses, SessionRecord::WallClock::now()); });
  for (const auto& id : gone) {
    spdlog::info("session {}: its record was deleted (by another instance); ending it here", id);
    remove(id, false);
  }
}

SessionCounts SessionRegistry::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::vector<std::shared_ptr<Session>> SessionRegistry::all() const {
  std::vector<std::shared_ptr<Session>> sessions;
  std::lock_guard lock(mutex_);
  sessions.reserve(sessions_.size());
  for (const auto& [id, entry] : sessions_) sessions.push_back(entry.session);
  return sessions;
}

std::size_t SessionRegistry::active_since(Session::Clock::time_point since) const {
  std::lock_guard lock(mutex_);
  std::size_t active = 0;
  for (const auto& [id, entry] : sessions_) {
    const Session& session = *entry.session;
    if (session.last_active() >= since || session.busy()) ++active;
  }
  return active;
}

std::size_t SessionRegistry::expire_idle(Session::Clock::time_point now) {
  std::vector<std::string> idle;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : sessions_) {
      const auto& session = entry.session;
      if (session->transport() != Transport::streamable_http) continue;  // ends with its stream
      if (now - session->last_active() < options_.idle_ttl) continue;
      if (session->busy()) continue;
      idle.push_back(id);
    }
  }
  for (const auto& id : idle) {
    spdlog::info("session {} expired after {} s idle", id, options_.idle_ttl.count());
    if (remove(id, false)) expirations_.fetch_add(1);
  }
  return idle.size();
}

void SessionRegistry::sync_records(Session::Clock::time_point now) {
  if (!options_.store) return;
  std::vector<std::shared_ptr<Session>> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : sessions_)
      if (entry.session->busy() && entry.session->claim_record_use(now, use_interval()))
        due.push_back(entry.session);
  }
  if (!due.empty()) record_use(due);
  std::size_t expired = 0;
  with_store("delete expired session records", [&] {
    expired = options_.store->remove_unused_since(SessionRecord::WallClock::now() - options_.idle_ttl);
  });
  if (expired > 0)
    spdlog::info("session store: {} session record{} expired ({} s unused)", expired,
                 expired == 1 ? "" : "s", options_.idle_ttl.count());
}

void SessionRegistry::end_all() {
  std::unordered_map<std::string, Entry> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
    fresh_.clear();
    counts_ = {};
  }
  for (auto& [id, entry] : sessions) entry.session->end();
}

void SessionRegistry::start_reaper(std::chrono::milliseconds interval) {
  if (reaper_.joinable()) return;
  reaper_ = std::thread([this, interval] {
    std::unique_lock lock(reaper_mutex_);
    while (!stopping_) {
      reaper_wake_.wait_for(lock, interval, [&] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      expire_idle(Session::Clock::now());
      sync_records(Session::Clock::now());
      lock.lock();
    }
  });
}

}  // namespace mcpgate::sessions
