#include "mcpgate/protocol/reply_router.hpp"

#include "mcpgate/util/secure_random.hpp"

#include <cstring>

namespace mcpgate::protocol {

std::optional<jsonrpc::Response> ReplyRouter::Slot::wait_until(
    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  arrived_.wait_until(lock, deadline, [&] { return response_.has_value() || aborted_; });
  return response_;
}

bool ReplyRouter::Slot::aborted() const {
  std::lock_guard lock(mutex_);
  return aborted_;
}

std::int64_t ReplyRouter::first_id() {
  const std::string bytes = util::secure_random_bytes(sizeof(std::uint64_t));
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof value);
  return static_cast<std::int64_t>(value % (std::uint64_t{1} << 40)) + 1;
}

ReplyRouter::Expectation ReplyRouter::expect() {
  auto slot = std::make_shared<Slot>();
  std::lock_guard lock(mutex_);
  nlohmann::json id = next_id_++;
  waiting_[id.dump()] = slot;
  return {id, slot};
}

void ReplyRouter::forget(const nlohmann::json& id) {
  std::lock_guard lock(mutex_);
  waiting_.erase(id.dump());
}

bool ReplyRouter::deliver(const jsonrpc::Response& response) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(response.id.dump());
    if (it == waiting_.end()) return false;
    slot = it->second;
    waiting_.erase(it);
  }
  {
    std::lock_guard lock(slot->mutex_);
    slot->response_ = response;
  }
  slot->arrived_.notify_all();
  return true;
}

void ReplyRouter::abort_all() {
  std::unordered_map<std::string, std::shared_ptr<Slot>> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting.swap(waiting_);
  }
  for (auto& [key, slot] : waiting) {
    {
      std::lock_guard lock(slot->mutex_);
      slot->aborted_ = true;
    }
    slot->arrived_.notify_all();
  }
}

}  // namespace mcpgate::protocol
