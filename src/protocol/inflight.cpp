#include "mcpgate/protocol/inflight.hpp"

namespace mcpgate::protocol {

CancelFlag InFlightRequests::begin(const nlohmann::json& id) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard lock(mutex_);
  requests_[id.dump()] = flag;
  return flag;
}

void InFlightRequests::end(const nlohmann::json& id) {
  std::lock_guard lock(mutex_);
  requests_.erase(id.dump());
}

bool InFlightRequests::cancel(const nlohmann::json& id) {
  std::lock_guard lock(mutex_);
  auto it = requests_.find(id.dump());
  if (it == requests_.end()) return false;
  it->second->store(true);
  return true;
}

void InFlightRequests::cancel_all() {
  std::lock_guard lock(mutex_);
  for (auto& [key, flag] : requests_) flag->store(true);
}

std::size_t InFlightRequests::size() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

}  // namespace mcpgate::protocol
