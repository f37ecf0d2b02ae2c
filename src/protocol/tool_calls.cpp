// tools/list and tools/call.
#include "input_rounds.hpp"
#include "method_handlers.hpp"
#include "request_scope.hpp"

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/tool.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::protocol::handlers {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

json list_tools(MethodCall& call) {
  const auto lists = call.context.lists->current();
  const auto& tools = lists->tools;
  return page(call.params(), tools.size(), call.options.page_size, "tools",
              [&](std::size_t i) { return tools.entries()[i].listing; });
}

json call_tool(MethodCall& call) {
  ClientState& session = call.client;
  const json& params = call.params();
  const auto name = required_string(params, "name");
  // The snapshot holds the tool while it runs, whatever happens to the list meanwhile.
  const auto lists = call.context.lists->current();
  const auto* entry = lists->tools.find(name);
  if (!entry) throw Error(code::invalid_params, "Unknown tool: " + name);

  const std::string version = session.protocol_version();
  // The token may not allow this tool: a tool error, so that an assistant can tell its user
  // which scope to ask for (the tool stays listed).
  const std::string_view needed = call.options.tool_scopes.needed_for(name);
  if (const Access access = session.access(); !call.options.tool_scopes.holds(access, needed)) {
    spdlog::info("session {}: tool {} refused to {}: the token lacks the scope {}", session.id(),
                 name, access.subject, needed);
    if (call.options.observer)
      call.options.observer->tool_call_finished(name, "forbidden", std::chrono::nanoseconds(0));
    std::string granted;
    for (const auto& scope : access.scopes) granted += (granted.empty() ? "" : " ") + scope;
    return tools::ToolResult::error(
               "Forbidden: the tool " + name + " needs the OAuth scope '" + std::string(needed) +
               "', which this access token does not grant (it grants: " +
               (granted.empty() ? std::string("no scope") : granted) +
               "). Sign in again asking for that scope, or ask an administrator for it.")
        .to_json();
  }
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&](std::string_view outcome) {
    if (call.options.observer)
      call.options.observer->tool_call_finished(name, outcome, std::chrono::steady_clock::now() - started);
  };
  auto reject_arguments = [&](const std::string& why) -> json {
    observe("invalid_arguments");
    const std::string message = "Invalid arguments for tool " + name + ": " + why;
    if (argument_errors_are_results(version)) return tools::ToolResult::error(message).to_json();
    throw Error(code::invalid_params, "Invalid params: " + message);
  };

  json arguments = json::object();
  if (auto it = params.find("arguments"); it != params.end() && !it->is_null()) {
    if (!it->is_object()) return reject_arguments("arguments must be an object");
    arguments = tools::coerce_arguments(entry->listing.at("inputSchema"), *it);
  }
  if (auto problem = entry->validator->validate(arguments)) return reject_arguments(*problem);

  json progress_token = nullptr;
  if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    auto token = meta->find("progressToken");
    if (token != meta->end() && (token->is_string() || token->is_number_integer())) {
      if (token->dump().size() > max_progress_token_bytes)
        throw Error(code::invalid_params, "Invalid params: _meta.progressToken is longer than " +
                                              std::to_string(max_progress_token_bytes) + " bytes");
      progress_token = *token;
    }
  }

  // On the modern era the handler's asks are answered from the request (multi round-trip).
  std::optional<InputRounds> rounds;
  if (is_modern(version))
    rounds.emplace(params,
                   StateBinding{.method = call.request.method,
                                .name = name,
                                .arguments_digest = arguments_digest(arguments)},
                   *call.options.request_state);
  RequestScope scope(session, call.out, std::move(progress_token), call.cancelled,
                     call.options.client_request_timeout, rounds ? &*rounds : nullptr);
  auto failed = [&](const std::exception& e) {
    observe("exception");
    spdlog::warn("session {}: tool {} failed: {}", session.id(), name, e.what());
    return tools::ToolResult::error("Tool " + name + " failed: " + e.what()).to_json();
  };
  // The tasks extension: -32021 here when the tool needs a task the request cannot have.
  const bool as_task = runs_as_task(call, entry->tool);
  tools::ToolResult result;
  try {
    if (as_task) {
      // Inputs wanted before the task exists are asked in the request (multi round-trip).
      auto answers = entry->tool.ask_before_task.empty()
                         ? tools::InputAnswers{}
                         : scope.ask(entry->tool.ask_before_task);
      if (auto created = start_task(call, entry->tool, arguments, std::move(answers))) {
        observe("task");
        return std::move(*created);
      }
    }
    result = entry->tool.handler(arguments, scope);
  } catch (const Error&) {
    throw;  // a protocol error (too many tasks; a handler's own): the request's answer
  } catch (const tools::InputRequired& needed) {
    if (!rounds) throw;  // only the modern era's ask throws it (a task's is caught by the task)
    observe("input_required");
    return rounds->input_required_result(needed);
  } catch (const tools::MissingClientCapability& e) {
    if (!is_modern(version)) return failed(e);
    observe("missing_capability");
    refuse_missing_capability("tool " + name, e);
  } catch (const std::exception& e) {
    return failed(e);
  }
  if (entry->tool.output_schema && !result.is_error && !result.structured) {
    observe("exception");
    throw Error(code::internal_error,
                "Internal error: tool " + name + " returned no structured content");
  }
  observe(result.is_error ? "error" : "ok");
  return std::move(result).to_json();
}

}  // namespace mcpgate::protocol::handlers
