// Multi round-trip requests (2026-07-28, mrtr.mdx) for one request: the input it brings (its
// params.inputResponses, and the answers of earlier rounds inside its verified requestState),
// handed out as its handler asks (tools::ToolContext::ask), and the "input_required" result
// when the handler needs more. Nothing is kept between rounds on the server: all of it travels
// in requestState, so the retry may land on any instance that holds the same key.
//
// A handler is run again from the start on every round, asking the same way up to where it
// stopped: the answers it was handed are carried into the next round's requestState, so a client
// that sends only the latest round's answers (as it should) still completes. An answer carried
// in requestState wins over one the retry sends again for the same key.
#pragma once

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/tools/tool.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace mcpgate::protocol {

// The client capability a server->client request method needs ("" for none known).
[[nodiscard]] std::string_view capability_for(std::string_view method);

// The inputRequests member of an input_required result: {key: {method, params}}.
[[nodiscard]] nlohmann::json input_requests_json(const std::vector<tools::InputRequest>& requests);

// The -32021 error the modern era answers when a handler needs a capability the request's
// _meta does not declare; `what` names the tool or prompt ("tool x").
[[noreturn]] void refuse_missing_capability(const std::string& what,
                                            const tools::MissingClientCapability& missing);

class InputRounds {
 public:
  // Reads and checks `params` (a tools/call, prompts/get or resources/read request's):
  // inputResponses must be an object of objects, requestState a string that opens for
  // `binding`. Throws jsonrpc::Error -32602 naming what is wrong.
  InputRounds(const nlohmann::json& params, StateBinding binding, const RequestStateCodec& codec);

  // ToolContext::ask on the modern era: the answers to `requests`, or InputRequired for those
  // the request does not bring. Throws tools::MissingClientCapability when `client` did not
  // declare a method's capability (before anything else: a request must never ask for what
  // the client cannot give), tools::ClientRequestError for a method that cannot be asked.
  tools::InputAnswers take(const std::vector<tools::InputRequest>& requests,
                           const ClientState& client);

  // {resultType: "input_required", inputRequests, requestState} for a call that ended with
  // `needed`; the state carries every answer handed out so far. Throws jsonrpc::Error -32602
  // when those no longer fit in --max-request-state.
  [[nodiscard]] nlohmann::json input_required_result(const tools::InputRequired& needed) const;

 private:
  nlohmann::json responses_ = nlohmann::json::object();  // this request's inputResponses
  nlohmann::json carried_ = nlohmann::json::object();    // earlier rounds', from requestState
  nlohmann::json handed_ = nlohmann::json::object();     // answers handed to the handler
  unsigned round_ = 0;                                   // rounds before this one
  StateBinding binding_;
  const RequestStateCodec& codec_;
};

}  // namespace mcpgate::protocol
