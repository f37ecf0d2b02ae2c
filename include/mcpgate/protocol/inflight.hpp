// The requests a session is executing, so that notifications/cancelled can reach them.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mcpgate::protocol {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

class InFlightRequests {
 public:
  // Register a request; the flag turns true when it is cancelled.
  [[nodiscard]] CancelFlag begin(const nlohmann::json& id);
  void end(const nlohmann::json& id);
  // Returns false for an unknown or finished id (which the spec says to ignore).
  bool cancel(const nlohmann::json& id);
  void cancel_all();
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, CancelFlag> requests_;  // key: the id's JSON text
};

}  // namespace mcpgate::protocol
