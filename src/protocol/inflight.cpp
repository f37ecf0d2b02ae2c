#include "mcpgate/protocol/inflight.hpp"

#include "mcpgate/jsonrpc.hpp"

#include <vector>

namespace mcpgate::protocol {

std::variant<CancelFlag, InFlightRequests::Refusal> InFlightRequests::begin(
    const nlohmann::json& id) {
  std::string key = id.dump();
  if (key.size() > max_id_bytes) return Refusal::id_too_long;
  auto flag = std::make_shared<util::Cancellation>();
  bool closed = false;
  {
    std::lock_guard lock(mutex_);
    if (requests_.count(key)) return Refusal::duplicate_id;
    if (requests_.size() >= capacity_) {
      refused_.fetch_add(1);
      return Refusal::full;
    }
    requests_.emplace(std::move(key), flag);
    closed = closed_;
  }
  if (closed) flag->cancel();
  return flag;
}

void InFlightRequests::end(const nlohmann::json& id) {
  std::lock_guard lock(mutex_);
  requests_.erase(id.dump());
}

bool InFlightRequests::cancel(const nlohmann::json& id) {
  CancelFlag flag;
  {
    std::lock_guard lock(mutex_);
    auto it = requests_.find(id.dump());
    if (it == requests_.end()) return false;
    flag = it->second;
  }
  flag->cancel();  // outside the lock: its hooks shut backend connections down
  return true;
}

void InFlightRequests::cancel_all() {
  std::vector<CancelFlag> flags;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    flags.reserve(requests_.size());
    for (auto& [key, flag] : requests_) flags.push_back(flag);
  }
  for (auto& flag : flags) flag->cancel();
}

std::size_t InFlightRequests::size() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::string_view refusal_reason(InFlightRequests::Refusal refusal) noexcept {
  switch (refusal) {
    case InFlightRequests::Refusal::full:
      return "inflight_cap";
    case InFlightRequests::Refusal::duplicate_id:
      return "duplicate_id";
    case InFlightRequests::Refusal::id_too_long:
      break;
  }
  return "id_too_long";
}

nlohmann::json refusal_error(const nlohmann::json& id, InFlightRequests::Refusal refusal,
                             std::size_t capacity) {
  using Refusal = InFlightRequests::Refusal;
  switch (refusal) {
    case Refusal::full:
      return jsonrpc::make_error(
          id, jsonrpc::code::too_many_requests,
          "Too many requests in flight: this session already runs " + std::to_string(capacity) +
              " (the server's --max-inflight); send more once some are answered",
          {{"limit", capacity}});
    case Refusal::duplicate_id:
      return jsonrpc::make_error(id, jsonrpc::code::invalid_request,
                                 "Invalid Request: a request with this id is still running in "
                                 "this session; ids must be unique");
    case Refusal::id_too_long:
      break;
  }
  return jsonrpc::make_error(id, jsonrpc::code::invalid_request,
                             "Invalid Request: the id is longer than " +
                                 std::to_string(InFlightRequests::max_id_bytes) + " bytes");
}

}  // namespace mcpgate::protocol
