// subscriptions/listen (the modern era): the listen streams open on this instance, what each
// asked to hear, and what a change of the server's lists sends to whom — listen streams and
// the sessions of the session revisions alike (notify_session()).
//
// A listen stream lives as long as its Handle: the transport holds it while the client reads
// the stream and drops it when the client closes it, and with it everything the subscription
// kept. The server ends them all at shutdown (end_all()): each gets the listen request's
// result, then its stream ends. Sending never blocks (an Outbox takes or refuses a message);
// no lock here is held while another component is called, except a subscription's own while
// its outbox queues one message (so that nothing follows the final result).
//
// Per instance: a change on one instance reaches the listeners of that instance only.
#pragma once

#include "mcpgate/protocol/outbox.hpp"
#include "mcpgate/tools/live_lists.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mcpgate::protocol {

class ClientState;

// What a listen stream hears (a SubscriptionFilter of the schema).
struct ListenFilter {
  bool tools = false;
  bool prompts = false;
  bool resources = false;
  std::vector<std::string> uris;  // resourceSubscriptions, each once

  [[nodiscard]] bool hears(const tools::Change& change) const;
  // As the acknowledgement names it: only what is set.
  [[nodiscard]] nlohmann::json to_json() const;
};

// What a listen stream may keep.
struct ListenLimits {
  std::size_t max_uris = 64;           // --max-listen-uris
  std::size_t max_uri_bytes = 8 * 1024;  // --max-session-data
};

// The filter a subscriptions/listen request's params ask for, cut down to what `lists` can
// honour: list changes of lists that may change, updates of resources that exist. -32602
// (jsonrpc::Error) for a malformed filter or one past `limits`.
[[nodiscard]] ListenFilter honoured_filter(const nlohmann::json& params,
                                           const tools::LiveLists& lists,
                                           const ListenLimits& limits);

class Subscriptions : public std::enable_shared_from_this<Subscriptions> {
 public:
  // One open listen stream; dropping it ends the subscription at once.
  class Handle {
   public:
    Handle(std::shared_ptr<Subscriptions> owner, std::uint64_t key);
    ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

   private:
    std::shared_ptr<Subscriptions> owner_;
    std::uint64_t key_;
  };

  // Open subscription `id` (the listen request's id) hearing `filter` on `out`: the
  // acknowledgement is its first message. `server_info` goes into the final result's _meta.
  // After end_all(), the stream gets the acknowledgement and the final result at once.
  [[nodiscard]] std::unique_ptr<Handle> open(const nlohmann::json& id, ListenFilter filter,
                                             std::shared_ptr<Outbox> out,
                                             nlohmann::json server_info);

  // Send `change` to every stream that asked for it, tagged with its subscription id.
  void deliver(const tools::Change& change);

  // Shutdown: every stream gets its listen request's result and ends; so does every later one.
  void end_all();

  // Listen streams open now (for /metrics).
  [[nodiscard]] std::size_t open_count() const;

 private:
  struct Entry {
    nlohmann::json id;
    ListenFilter filter;
    std::shared_ptr<Outbox> out;
    nlohmann::json server_info;
    std::mutex mutex;  // orders sends; held while `out` queues one message
    bool ended = false;
  };
  void close(std::uint64_t key);
  static void finish(Entry& entry);

  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<Entry>> entries_;
  std::uint64_t next_key_ = 1;
  bool stopped_ = false;
};

// What `change` sends a client of the session revisions: list_changed for a list change,
// resources/updated for a resource it subscribed to; nothing before it initialized.
void notify_session(ClientState& client, const tools::Change& change);

}  // namespace mcpgate::protocol
