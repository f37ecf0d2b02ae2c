// A protocol::Outbox that keeps what is sent to it, for tests of the protocol layer: they look
// at the messages a request sent, never at how a transport frames them.
#pragma once

#include "mcpgate/protocol/outbox.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace test_support {

class RecordingOutbox final : public mcpgate::protocol::Outbox {
 public:
  bool send(const nlohmann::json& message) override {
    {
      std::lock_guard lock(mutex_);
      if (finished_) return false;
      messages_.push_back(message);
    }
    changed_.notify_all();
    return true;
  }
  void finish() override {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    changed_.notify_all();
  }
  void close() override { finish(); }
  void request_disconnect() override {
    std::lock_guard lock(mutex_);
    ++disconnects_;
  }

  // Every message sent so far, in order.
  [[nodiscard]] std::vector<nlohmann::json> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  [[nodiscard]] int disconnects() const {
    std::lock_guard lock(mutex_);
    return disconnects_;
  }
  // The first message with `method`, waiting up to `timeout` for one to be sent.
  [[nodiscard]] std::optional<nlohmann::json> wait_for(std::string_view method,
                                                       std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    std::optional<nlohmann::json> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_)
        if (m.value("method", "") == method) {
          found = m;
          return true;
        }
      return finished_;
    });
    return found;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<nlohmann::json> messages_;
  bool finished_ = false;
  int disconnects_ = 0;
};

}  // namespace test_support
