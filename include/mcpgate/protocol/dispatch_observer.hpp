// What the dispatcher reports about the requests it handles, for metrics. Called on the thread
// that handled the request, after the answer is known; implementations must be thread-safe and
// must not block.
#pragma once

#include <chrono>
#include <string_view>

namespace mcpgate::protocol {

class DispatchObserver {
 public:
  virtual ~DispatchObserver() = default;
  // Every request that got an answer: its method and whether the answer is a JSON-RPC error.
  virtual void request_finished(std::string_view method, bool error) = 0;
  // A request refused before it ran (also reported to request_finished as an error): reason
  // "inflight_cap" (the session's --max-inflight was reached), "duplicate_id" or "id_too_long".
  virtual void request_refused(std::string_view reason) = 0;
  // Every tools/call of a registered tool. outcome: "ok", "error" (an isError result),
  // "invalid_arguments", "exception" (the handler threw), and on the modern era
  // "input_required" (it asked the client for input) or "missing_capability" (-32021);
  // "forbidden": the access token lacks the scope the tool needs.
  virtual void tool_call_finished(std::string_view tool, std::string_view outcome,
                                  std::chrono::nanoseconds took) = 0;
};

}  // namespace mcpgate::protocol
