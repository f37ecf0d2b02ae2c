// Requests the server sends to the client (sampling, elicitation): ids, and the routing of the
// client's answers, which arrive on other connections, back to the waiting handler.
#pragma once

#include "mcpgate/jsonrpc.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mcpgate::protocol {

class ReplyRouter {
 public:
  class Slot {
   public:
    // Wait for the answer until `deadline`; returns nullopt on timeout or when aborted.
    std::optional<jsonrpc::Response> wait_until(std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] bool aborted() const;

   private:
    friend class ReplyRouter;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::optional<jsonrpc::Response> response_;
    bool aborted_ = false;
  };

  // Reserve a fresh id and a slot for its answer.
  struct Expectation {
    nlohmann::json id;
    std::shared_ptr<Slot> slot;
  };
  [[nodiscard]] Expectation expect();
  void forget(const nlohmann::json& id);

  // Route a client's response. Returns false when no one waits for that id.
  bool deliver(const jsonrpc::Response& response);

  // Wake every waiter with nothing (session ending).
  void abort_all();

 private:
  std::mutex mutex_;
  // Starts at a random number below 2^40 (exact in a JavaScript number even after a lifetime of
  // requests): processes sharing a session (sessions/peer_bus.hpp) must not both ask its client
  // under the same id, since its answer may reach either of them.
  std::int64_t next_id_ = first_id();
  static std::int64_t first_id();
  std::unordered_map<std::string, std::shared_ptr<Slot>> waiting_;
};

}  // namespace mcpgate::protocol
