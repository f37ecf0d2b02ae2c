#include "mcpgate/sessions/peer_bus.hpp"

#include "mcpgate/store/peer_event_table.hpp"
#include "mcpgate/util/secure_random.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

namespace mcpgate::sessions {

namespace {

using Kind = PeerEvent::Kind;
constexpr std::array<std::pair<Kind, std::string_view>, 7> kind_names{{
    {Kind::session_ended, "session_ended"},
    {Kind::session_changed, "session_changed"},
    {Kind::list_changed, "list_changed"},
    {Kind::resource_updated, "resource_updated"},
    {Kind::client_message, "client_message"},
    {Kind::task_update, "task_update"},
    {Kind::task_cancel, "task_cancel"},
}};

std::string_view name_of(Kind kind) {
  for (const auto& [k, name] : kind_names)
    if (k == kind) return name;
  return "unknown";
}

std::optional<Kind> kind_named(std::string_view name) {
  for (const auto& [k, n] : kind_names)
    if (n == name) return k;
  return std::nullopt;  // written by a newer mcpgate: skipped
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rows read at once: a larger burst is read on in batches of this many, in order.
constexpr std::size_t rows_per_poll = 256;

class StorePeerBus final : public PeerBus {
 public:
  StorePeerBus(std::shared_ptr<store::Database> database, PeerBusOptions options)
      : table_(std::move(database)), options_(options), origin_(util::random_id()),
        listener_(table_.listen()), tokens_(options.max_events_per_second), refilled_(Clock::now()) {}

  ~StorePeerBus() override { stop(); }

  bool publish(const PeerEvent& event) override {
    if (event.body.size() > options_.max_body_bytes) {
      spdlog::warn("peer events: a {} of {} bytes for session {} is over {} bytes; not sent",
                   name_of(event.kind), event.body.size(), event.session_id,
                   options_.max_body_bytes);
      return false;
    }
    if (!take_token()) {
      spdlog::debug("peer events: over {} events/s; a {} for session {} was not sent",
                    options_.max_events_per_second, name_of(event.kind), event.session_id);
      return false;
    }
    try {
      table_.append({.origin = origin_,
                     .kind = std::string(name_of(event.kind)),
                     .session_id = event.session_id,
                     .body = event.body,
                     .created_ms = unix_ms_now()});
      return true;
    } catch (const std::exception& e) {
      spdlog::warn("peer events: cannot write a {}: {}", name_of(event.kind), e.what());
      return false;
    }
  }

  void start(Handler handler) override {
    std::int64_t from = 0;
    try {
      from = table_.latest();  // what was published before this process started is not news
    } catch (const std::exception& e) {
      spdlog::warn("peer events: cannot read the store: {}", e.what());
    }
    thread_ = std::thread([this, handler = std::move(handler), from] { run(handler, from); });
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (listener_) listener_->interrupt();
    if (thread_.joinable()) thread_.join();
  }

 private:
  using Clock = std::chrono::steady_clock;

  bool take_token() {
    std::lock_guard lock(rate_mutex_);
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - refilled_).count();
    refilled_ = now;
    tokens_ = std::min(options_.max_events_per_second,
                       tokens_ + seconds * options_.max_events_per_second);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  void run(const Handler& handler, std::int64_t seen) {
    if (listener_)
      spdlog::info("peer events: PostgreSQL notifies this process of others' events "
                   "(LISTEN/NOTIFY); the store is read anyway every {} ms",
                   safety_interval().count());
    auto next_prune = Clock::now();
    while (!stopping()) {
      try {
        // A full batch: more may wait behind it, read on at once.
        while (deliver(handler, seen) == rows_per_poll && !stopping()) {
        }
        if (Clock::now() >= next_prune) {
          next_prune = Clock::now() + options_.keep_for / 4;
          table_.prune(unix_ms_now() - options_.keep_for.count());
        }
      } catch (const std::exception& e) {
        spdlog::warn("peer events: cannot read the store: {}", e.what());
      }
      pause();
    }
  }

  // Hands the rows after `seen` to the handler (not this process's own); how many were read.
  std::size_t deliver(const Handler& handler, std::int64_t& seen) {
    const auto rows = table_.after(seen, rows_per_poll);
    for (const auto& row : rows) {
      seen = row.seq;
      if (row.origin == origin_) continue;
      const auto kind = kind_named(row.kind);
      if (!kind) continue;
      handler(PeerEvent{.kind = *kind, .session_id = row.session_id, .body = row.body});
    }
    return rows.size();
  }

  // Until the next read: a notification, the safety interval, or stop(). Without a listener
  // (SQLite), the poll interval.
  void pause() {
    if (!listener_) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
      return;
    }
    listener_->wait(safety_interval());
    if (stopping()) return;
    // Said once per outage, and once when it ends: a reconnection loop must not flood the log.
    auto trouble = listener_->trouble();
    if (trouble != trouble_) {
      if (!trouble.empty() && trouble_.empty())
        spdlog::warn("peer events: {}; retrying, and reading the store at least every {} ms "
                     "meanwhile",
                     trouble, safety_interval().count());
      else if (trouble.empty())
        spdlog::info("peer events: listening on PostgreSQL again");
      trouble_ = std::move(trouble);
    }
  }

  std::chrono::milliseconds safety_interval() const {
    return std::max(options_.poll_interval, options_.notified_poll_interval);
  }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  store::PeerEventTable table_;
  const PeerBusOptions options_;
  const std::string origin_;
  const std::unique_ptr<store::ChangeListener> listener_;  // nullptr: poll (SQLite)
  std::string trouble_;  // the listener's last trouble() logged; only the bus's thread

  std::mutex rate_mutex_;
  double tokens_;
  Clock::time_point refilled_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<PeerBus> make_store_peer_bus(std::shared_ptr<store::Database> database,
                                              PeerBusOptions options) {
  return std::make_unique<StorePeerBus>(std::move(database), options);
}

}  // namespace mcpgate::sessions
