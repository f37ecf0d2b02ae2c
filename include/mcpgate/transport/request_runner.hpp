// Runs the messages of one POST for a session: responses are routed to waiting tool handlers,
// notifications are handled, and each request is dispatched — on the calling thread when it is
// cheap, else on an executor thread — with its response pushed to an event stream.
#pragma once

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/util/worker_pool.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/transport/event_stream.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace mcpgate::transport {

class RequestRunner {
 public:
  // A client's answer or cancellation that nothing here waits for (another process sharing
  // the session may: sessions/peer_bus.hpp), as the JSON-RPC message it was.
  using Unclaimed = std::function<void(const sessions::Session&, const nlohmann::json& message)>;

  RequestRunner(const protocol::Dispatcher& dispatcher, util::WorkerPool& executor,
                Unclaimed unclaimed = {})
      : dispatcher_(dispatcher), executor_(executor), unclaimed_(std::move(unclaimed)) {}

  // Handle `items`; every response (and every error for an invalid item) is pushed to `out`.
  // With `finish_out`, `out` is the POST's own stream, finished once the last response is in.
  // Returns how many responses will be pushed (0: the POST carried no request).
  std::size_t run_async(const std::shared_ptr<sessions::Session>& session,
                        std::vector<jsonrpc::Item> items,
                        const std::shared_ptr<EventStream>& out, bool finish_out) const;

  // The messages of a POST answered 202 whose responses go to the session's stream `out` (the
  // legacy SSE transport): as run_async(session, items, out, false), except that a POST that is
  // one call of a tool that does not talk to the client while it runs (instant or silent) is
  // admitted here (a refusal is pushed at once) and then runs on this connection's thread once
  // the 202 is sent (ConnectionHooks::after_response), not before it and not on an executor
  // thread: the answer never waits for the call, and the call costs no hand-off.
  std::size_t run_accepted(const std::shared_ptr<sessions::Session>& session,
                           std::vector<jsonrpc::Item> items,
                           const std::shared_ptr<EventStream>& out) const;

  // Handle `items` on this thread and return the responses (JSON response mode). Messages
  // tied to a request go to the session's own stream.
  std::vector<nlohmann::json> run_here(const std::shared_ptr<sessions::Session>& session,
                                       std::vector<jsonrpc::Item> items) const;

  // Run one modern-era request for `client` (built for it alone): on this thread when it is
  // cheap, else on an executor thread, with its messages going to `out` (may be null: they are
  // dropped). `deliver` gets its response, or nullopt when it was cancelled, on whichever thread
  // ran it. Returns the request's cancellation: the transport fires it when the client closes
  // the response stream.
  protocol::CancelFlag run_stateless(std::shared_ptr<protocol::ClientState> client,
                                     jsonrpc::Request request,
                                     std::shared_ptr<protocol::Outbox> out,
                                     std::function<void(std::optional<nlohmann::json>)> deliver,
                                     bool caller_only_waits) const;

  [[nodiscard]] const protocol::Dispatcher& dispatcher() const noexcept { return dispatcher_; }

 private:
  // A notification or a client's answer: handled here, or handed to unclaimed_.
  void take(sessions::Session& session, const jsonrpc::Message& message) const;

  const protocol::Dispatcher& dispatcher_;
  util::WorkerPool& executor_;
  Unclaimed unclaimed_;
};

}  // namespace mcpgate::transport
