// MCP methods on top of JSON-RPC: lifecycle and version negotiation, tools, resources, prompts,
// completion and logging; progress, cancellation and server->client requests for tool handlers.
// Stateless itself: all state lives in the Session it is handed.
#pragma once

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/protocol/outbox.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace mcpgate::protocol {

struct DispatchOptions {
  std::size_t page_size = 100;                          // items per tools/list page etc.
  std::chrono::milliseconds client_request_timeout{60000};  // sampling, elicitation
  std::shared_ptr<DispatchObserver> observer;           // metrics; may be null
  // What a session keeps of initialize's capabilities and clientInfo, as compact JSON text
  // (--max-session-data): more is refused with -32602.
  std::size_t max_session_data = 8 * 1024;
};

// The longest progress token a request may carry, as JSON text: it is kept while the request
// runs and repeated in every progress notification.
inline constexpr std::size_t max_progress_token_bytes = 256;

class Dispatcher {
 public:
  explicit Dispatcher(DispatchOptions options) : options_(options) {}

  // Register `request` in its session's in-flight table before it is handed to another thread,
  // so that a session at its cap (or reusing a running id) is refused at once, without taking
  // a thread. The flag to hand to handle_request(), or the error response to send instead.
  [[nodiscard]] static std::variant<CancelFlag, nlohmann::json> admit(
      sessions::Session& session, const jsonrpc::Request& request);

  // Run one request. Messages the handler emits (progress, logs, server->client requests) go to
  // `out`, or to the session's own outbox when `out` is null. Returns the response to send, or
  // nullopt when the client cancelled the request (no response is sent then). `admitted` is
  // admit()'s flag; without one the request is admitted here (or refused with its error).
  // While the handler runs, its calls of the backend belong to the request's Cancellation:
  // cancelling the request, or ending the session, ends them.
  [[nodiscard]] std::optional<nlohmann::json> handle_request(
      sessions::Session& session, const jsonrpc::Request& request,
      const std::shared_ptr<Outbox>& out, CancelFlag admitted = nullptr) const;

  void handle_notification(sessions::Session& session,
                           const jsonrpc::Notification& notification) const;

  // A client's answer to one of our requests. False when nothing waited for it.
  bool handle_response(sessions::Session& session, const jsonrpc::Response& response) const;

  // Whether `request` runs on the connection's thread: when it is cheap (lifecycle, listings,
  // calls of tools that never block), or when `caller_only_waits` (the connection has nothing
  // to do but wait for this one answer) and it calls a tool that is silent while it runs.
  // Others get an executor thread, so that what they send the client streams while they run.
  [[nodiscard]] static bool runs_inline(const sessions::Session& session,
                                        const jsonrpc::Request& request,
                                        bool caller_only_waits = false);

  [[nodiscard]] const DispatchOptions& options() const noexcept { return options_; }

 private:
  nlohmann::json dispatch(sessions::Session& session, const jsonrpc::Request& request,
                          const std::shared_ptr<Outbox>& out,
                          const CancelFlag& cancelled) const;
  nlohmann::json initialize(sessions::Session& session, const nlohmann::json& params) const;
  nlohmann::json call_tool(sessions::Session& session, const jsonrpc::Request& request,
                           const std::shared_ptr<Outbox>& out,
                           const CancelFlag& cancelled) const;

  DispatchOptions options_;
};

}  // namespace mcpgate::protocol
