#include "mcpgate/server/shared_tasks.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::server {

namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Expired rows are deleted by whichever instance writes next, at most this often: a task's
// row is small, and a read skips expired rows anyway.
constexpr std::int64_t prune_every_ms = 60000;

}  // namespace

SharedTasks::SharedTasks(std::shared_ptr<store::Database> database,
                         std::function<bool(const sessions::PeerEvent&)> forward)
    : table_(std::move(database)), forward_(std::move(forward)) {}

void SharedTasks::publish(const std::string& id, const std::string& subject,
                          std::uint64_t version, const nlohmann::json& detail,
                          std::chrono::milliseconds keep_for) {
  const auto now = unix_ms();
  try {
    table_.put(store::TaskRow{.id = id,
                              .subject = subject,
                              .version = static_cast<std::int64_t>(version),
                              .detail = detail.dump(),
                              .expires_ms = now + keep_for.count()});
    auto due = next_prune_ms_.load();
    if (now >= due && next_prune_ms_.compare_exchange_strong(due, now + prune_every_ms))
      table_.prune(now);
  } catch (const std::exception& e) {
    spdlog::warn("task {}: its state was not shared with the other instances: {}", id, e.what());
  }
}

std::optional<nlohmann::json> SharedTasks::find(const std::string& id, const std::string& subject) {
  try {
    const auto row = table_.find(id, unix_ms());
    if (!row || row->subject != subject) return std::nullopt;
    auto detail = nlohmann::json::parse(row->detail, nullptr, false);
    if (!detail.is_object()) return std::nullopt;
    return detail;
  } catch (const std::exception& e) {
    spdlog::warn("task {}: the shared task state could not be read: {}", id, e.what());
    return std::nullopt;
  }
}

bool SharedTasks::forward_update(const std::string& id, const nlohmann::json& input_responses) {
  return forward_({.kind = sessions::PeerEvent::Kind::task_update,
            .session_id = id,
            .body = input_responses.dump()});
}

bool SharedTasks::forward_cancel(const std::string& id) {
  return forward_({.kind = sessions::PeerEvent::Kind::task_cancel, .session_id = id, .body = {}});
}

}  // namespace mcpgate::server
