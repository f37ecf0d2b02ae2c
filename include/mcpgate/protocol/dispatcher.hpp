// MCP on top of JSON-RPC: admits a client's requests, routes each through the method table
// (protocol/methods.hpp) and answers it; cancellation, and the client's answers to our requests.
// Stateless itself: all state lives in the ClientState it is handed — a sessions::Session on the
// session revisions, or one built for a single request from its _meta on the modern era
// (make_stateless_client()).
#pragma once

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/protocol/outbox.hpp"
#include "mcpgate/protocol/subscriptions.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace mcpgate::protocol {

class Dispatcher {
 public:
  // Without options.request_state, a codec with a key of its own (random, this process's).
  explicit Dispatcher(DispatchOptions options);

  // Register `request` in its session's in-flight table before it is handed to another thread,
  // so that a session at its cap (or reusing a running id) is refused at once, without taking
  // a thread. The flag to hand to handle_request(), or the error response to send instead.
  // A refusal is reported to the observer (request_finished and request_refused).
  [[nodiscard]] std::variant<CancelFlag, nlohmann::json> admit(
      ClientState& session, const jsonrpc::Request& request) const;

  // Run one request. Messages the handler emits (progress, logs, server->client requests) go to
  // `out`, or to the session's own outbox when `out` is null. Returns the response to send, or
  // nullopt when the client cancelled the request (no response is sent then). `admitted` is
  // admit()'s flag; without one the request is admitted here (or refused with its error).
  // While the handler runs, its calls of the backend belong to the request's Cancellation:
  // cancelling the request, or ending the session, ends them.
  [[nodiscard]] std::optional<nlohmann::json> handle_request(
      ClientState& session, const jsonrpc::Request& request,
      const std::shared_ptr<Outbox>& out, CancelFlag admitted = nullptr) const;

  // Whether `request` is answered with a stream that outlives the call (subscriptions/listen on
  // the modern era): the transport then serves it with listen(), not handle_request().
  [[nodiscard]] static bool opens_stream(const ClientState& client,
                                         const jsonrpc::Request& request);

  // subscriptions/listen: the acknowledgement goes to `out` at once, then the notifications
  // asked for, until the handle is dropped (the client closed the stream: nothing of it is
  // kept) or the server ends it (Subscriptions::end_all(): the listen result, then the end).
  // The error response instead when it cannot be served as asked.
  [[nodiscard]] std::variant<std::unique_ptr<Subscriptions::Handle>, nlohmann::json> listen(
      ClientState& client, const jsonrpc::Request& request,
      const std::shared_ptr<Outbox>& out) const;

  // False only for a cancellation of a request that is not running here (another process
  // sharing the session may be running it).
  bool handle_notification(ClientState& session,
                           const jsonrpc::Notification& notification) const;

  // A client's answer to one of our requests. False when nothing waited for it.
  bool handle_response(ClientState& session, const jsonrpc::Response& response) const;

  // Whether `request` runs on the connection's thread: when it is cheap (lifecycle, listings,
  // calls of tools that never block), or when `caller_only_waits` (the connection has nothing
  // to do but wait for this one answer) and it calls a tool that is silent while it runs.
  // Others get an executor thread, so that what they send the client streams while they run.
  [[nodiscard]] static bool runs_inline(const ClientState& session,
                                        const jsonrpc::Request& request,
                                        bool caller_only_waits = false);

  [[nodiscard]] const DispatchOptions& options() const noexcept { return options_; }

 private:
  nlohmann::json dispatch(ClientState& session, const jsonrpc::Request& request,
                          const std::shared_ptr<Outbox>& out, const CancelFlag& cancelled) const;
  // What the modern era adds to every result: resultType, the server's identity in _meta, and
  // the caching hints of the methods that have them.
  void complete_modern_result(nlohmann::json& result, const Method& method,
                              const SharedContext& context) const;

  DispatchOptions options_;
};

}  // namespace mcpgate::protocol
