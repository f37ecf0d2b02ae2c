// What one mcpgate process tells the others that share its store, so that any of them can serve
// any request of any Streamable HTTP session (no proxy affinity needed):
//
//   session_ended     a DELETE or an eviction here deleted the session's record: the others end
//                     their copy of it now (its open GET stream closes), not at their next write
//   session_changed   a logging/setLevel here changed a session's record: the others that hold
//                     the session take its new level
//   list_changed      the tools, resources or prompts offered changed here: the others tell
//   resource_updated  their clients and listen streams too
//   client_message    a client's answer to a server→client request, or its cancellation of a
//                     request, that reached a process where nothing waits for it: the process
//                     running that request takes it
//   task_update       a tasks/update or tasks/cancel for a task another process runs (2026-07-28
//   task_cancel       tasks extension): the process running it applies it
//
// Events are at-most-once and unordered across publishers; each process skips its own. The
// bus never blocks its callers on another process and never throws: a store that fails is
// logged, and the event is lost as it would be without peers.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mcpgate::store {
class Database;
}

namespace mcpgate::sessions {

struct PeerEvent {
  enum class Kind {
    session_ended,
    session_changed,
    list_changed,
    resource_updated,
    client_message,
    task_update,
    task_cancel
  };
  Kind kind = Kind::session_ended;
  std::string session_id;  // session_*, client_message; task_*: the task's id
  std::string body;        // list_changed: the list ("tools", "resources", "prompts");
                           // resource_updated: the URI; client_message: the JSON-RPC message;
                           // task_update: the inputResponses object
};

class PeerBus {
 public:
  using Handler = std::function<void(const PeerEvent&)>;
  virtual ~PeerBus() = default;

  // Tell the others. Cheap for the caller; false when the event was not sent (too large, over
  // the rate budget, the store failed), which is logged.
  virtual bool publish(const PeerEvent& event) = 0;
  // Deliver the others' events to `handler`, in the order they were published, on the bus's
  // own thread, until stop(). Call once, before serving.
  virtual void start(Handler handler) = 0;
  // Stop delivering and join the thread; idempotent (the destructor calls it).
  virtual void stop() = 0;
};

struct PeerBusOptions {
  // SQLite: how often the store is read for others' events: the delay before another process
  // hears of a change. 100 ms is far below a human's notice and a client's retry, and one
  // indexed read of an empty range costs a few microseconds.
  std::chrono::milliseconds poll_interval{100};
  // PostgreSQL, where a notification wakes the reader as soon as an event commits: how often
  // the store is read anyway (the larger of this and poll_interval), which bounds the delay of
  // an event whose notification was lost with the LISTEN connection. Every instance reads
  // over the network, so not every 100 ms; a connection drop is rare and is logged.
  std::chrono::milliseconds notified_poll_interval{2000};
  // Events older than this are deleted: long past any reader's next poll.
  std::chrono::milliseconds keep_for{std::chrono::seconds(60)};
  // A client message larger than this is not forwarded (answers to elicitation and sampling
  // are a few KiB); events beyond the rate are dropped, so that a client sending answers no
  // one waits for cannot make every process write and read them without bound.
  std::size_t max_body_bytes = 64 * 1024;
  double max_events_per_second = 200;
};

// Events in the store (store::PeerEventTable, migration 6), read by each process after the
// last one it saw: on SQLite every poll_interval; on PostgreSQL as soon as the event's NOTIFY
// arrives on the bus's own LISTEN connection (not one of the pool's), and every
// notified_poll_interval in case one was lost. The LISTEN connection is re-opened with backoff
// when it drops, logged once per outage; stop() interrupts the wait at once.
[[nodiscard]] std::unique_ptr<PeerBus> make_store_peer_bus(std::shared_ptr<store::Database> database,
                                                           PeerBusOptions options = {});

}  // namespace mcpgate::sessions
