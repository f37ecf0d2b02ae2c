// The tasks of the instances that share a store (protocol::TaskShare): each change of a task
// this instance runs is written to the store's tasks table (store/task_table.hpp), another
// instance's task is read from it, and the client's answers or cancellation for a task that
// runs elsewhere go to its instance as a peer event (sessions/peer_bus.hpp; PeerRelay applies
// them there). So a client behind a round-robin proxy may poll, answer and cancel a task
// through any instance.
//
// Failures of the store are logged and swallowed: a task whose state could not be written is
// still served by the instance running it. Safe from any thread.
#pragma once

#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/sessions/peer_bus.hpp"
#include "mcpgate/store/task_table.hpp"

#include <atomic>
#include <functional>
#include <memory>

namespace mcpgate::server {

class SharedTasks final : public protocol::TaskShare {
 public:
  // `forward` sends an event to the other instances (PeerRelay::forward); false when it was not
  // sent.
  SharedTasks(std::shared_ptr<store::Database> database,
              std::function<bool(const sessions::PeerEvent&)> forward);

  void publish(const std::string& id, const std::string& subject, std::uint64_t version,
               const nlohmann::json& detail, std::chrono::milliseconds keep_for) override;
  [[nodiscard]] std::optional<nlohmann::json> find(const std::string& id,
                                                   const std::string& subject) override;
  bool forward_update(const std::string& id, const nlohmann::json& input_responses) override;
  bool forward_cancel(const std::string& id) override;

 private:
  store::TaskTable table_;
  std::function<bool(const sessions::PeerEvent&)> forward_;
  std::atomic<std::int64_t> next_prune_ms_{0};
};

}  // namespace mcpgate::server
