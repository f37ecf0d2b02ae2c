#include "mcpgate/sessions/registry.hpp"

#include "mcpgate/util/secure_random.hpp"

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
  std::shared_ptr<Session> evicted;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= options_.max_sessions) {
      evicted = evict_idlest_locked();
      if (!evicted) {
        refusals_.fetch_add(1);
        return nullptr;
      }
    }
    const std::uint64_t created = next_created_++;
    sessions_.emplace(session->id(), Entry{session, created});
    fresh_.emplace(created, session.get());
    ++count_for(counts_, transport);
  }
  if (evicted) {
    evicted->end();  // outside the lock: wakes writers and waiters
    evictions_.fetch_add(1);
    spdlog::info("session {} evicted ({}): the session cap ({}) was reached and it was the "
                 "idlest ({} s since its last request{})",
                 evicted->id(), to_string(evicted->transport()), options_.max_sessions,
                 seconds_since(evicted->last_active()),
                 evicted->used() ? "" : ", none after initialize");
  }
  spdlog::info("session {} opened ({})", session->id(), to_string(transport));
  return session;
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
  session->touch();
  return session;
}

bool SessionRegistry::remove(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = erase_locked(it);
  }
  session->end();  // outside the lock: wakes writers and waiters
  spdlog::info("session {} closed ({})", id, to_string(session->transport()));
  return true;
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
    if (remove(id)) expirations_.fetch_add(1);
  }
  return idle.size();
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
      lock.lock();
    }
  });
}

}  // namespace mcpgate::sessions
