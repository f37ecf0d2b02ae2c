// The composition's link to the other processes on the same store (sessions/peer_bus.hpp):
// what happens here that they must know is published, and what they publish is applied here.
//
//   published here                          applied from the others
//   a DELETE or an eviction deleted a       the session, if held here, ends here too: its
//     session's record (session_deleted)      streams close, its requests are cancelled
//   a logging/setLevel changed a session's  the session, if held here, takes the new level
//     record (session_changed)
//   a list or a resource changed (changed)  delivered to this process's listen streams and
//                                             sessions, as a change of its own would be
//   a client's answer or cancellation that  handed to the session here, if held here, where
//     nothing here waits for (unclaimed)      the request it belongs to may be running
//   a tasks/update or tasks/cancel for a    applied to the task, if it runs here
//     task that runs elsewhere (forward)
//
// Owned by the App; its hooks are safe from any thread. Events from the others are applied on
// the bus's thread.
#pragma once

#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/sessions/peer_bus.hpp"
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/tools/live_lists.hpp"

#include <functional>
#include <memory>
#include <string>

namespace mcpgate::server {

class PeerRelay {
 public:
  struct Deps {
    sessions::SessionRegistry& sessions;
    const protocol::Dispatcher& dispatcher;
    // Tell this process's listen streams and sessions of a change (never publishes).
    std::function<void(const tools::Change&)> deliver_change;
    std::shared_ptr<protocol::TaskStore> tasks;  // null: no tasks here
  };

  // Starts applying the others' events.
  PeerRelay(std::unique_ptr<sessions::PeerBus> bus, Deps deps);
  ~PeerRelay();  // stops the bus (joins its thread)
  PeerRelay(const PeerRelay&) = delete;
  PeerRelay& operator=(const PeerRelay&) = delete;

  void session_deleted(const std::string& id);
  void session_changed(const std::string& id);
  void changed(const tools::Change& change);
  void unclaimed(const sessions::Session& session, const nlohmann::json& message);
  // An event for the others as it is (server/shared_tasks.hpp hands tasks' requests over);
  // false when it was not sent (see PeerBus::publish).
  bool forward(const sessions::PeerEvent& event);

 private:
  void apply(const sessions::PeerEvent& event);

  std::unique_ptr<sessions::PeerBus> bus_;
  Deps deps_;
};

}  // namespace mcpgate::server
