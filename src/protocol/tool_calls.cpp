// tools/list and tools/call, and what a tool handler sees of its request (tools::ToolContext).
#include "method_handlers.hpp"

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/tool.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::protocol::handlers {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

constexpr std::chrono::milliseconds cancel_poll{50};

std::string_view capability_for(std::string_view method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return {};
}

// What a tool handler sees of its request: its client, the outbox its messages go to, the
// progress token and the cancellation flag.
class RequestScope final : public tools::ToolContext {
 public:
  RequestScope(ClientState& session, std::shared_ptr<Outbox> out,
               json progress_token, CancelFlag cancelled, std::chrono::milliseconds timeout)
      : session_(session), out_(std::move(out)), progress_token_(std::move(progress_token)),
        cancelled_(std::move(cancelled)), default_timeout_(timeout),
        version_(session.protocol_version()) {}

  bool cancelled() const override { return cancelled_->cancelled() || session_.ended(); }

  void progress(double progress, std::optional<double> total, std::string_view message) override {
    if (progress_token_.is_null()) return;
    if (last_progress_ && progress <= *last_progress_) return;  // must increase
    last_progress_ = progress;
    json params{{"progressToken", progress_token_}, {"progress", progress}};
    if (total) params["total"] = *total;
    if (!message.empty()) params["message"] = message;
    send(jsonrpc::make_notification("notifications/progress", std::move(params)));
  }

  void log(tools::LogLevel level, json data, std::string_view logger) override {
    if (level < session_.log_level()) return;
    json params{{"level", tools::to_string(level)}, {"data", std::move(data)}};
    if (!logger.empty()) params["logger"] = logger;
    send(jsonrpc::make_notification("notifications/message", std::move(params)));
  }

  bool client_supports(std::string_view capability) const override {
    return session_.client_supports(capability);
  }

  json request_client(std::string_view method, json params,
                      std::chrono::milliseconds timeout) override {
    const auto capability = capability_for(method);
    if (!capability.empty() && !session_.client_supports(capability))
      throw tools::MissingClientCapability(std::string(capability));
    if (timeout.count() <= 0) timeout = default_timeout_;
    auto expectation = session_.replies().expect();
    send(jsonrpc::make_request(expectation.id, method, std::move(params)));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<jsonrpc::Response> response;
    while (!response) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline || cancelled() || expectation.slot->aborted()) break;
      response = expectation.slot->wait_until(std::min(deadline, now + cancel_poll));
    }
    if (!response) {
      session_.replies().forget(expectation.id);
      const bool timed_out = !cancelled() && !expectation.slot->aborted();
      if (timed_out)
        send(jsonrpc::make_notification(
            "notifications/cancelled",
            {{"requestId", expectation.id}, {"reason", "timed out waiting for the client"}}));
      throw tools::ClientRequestError(timed_out ? "the client did not answer " +
                                                      std::string(method) + " in time"
                                                : "the request was cancelled");
    }
    if (response->error) {
      throw tools::ClientRequestError("the client answered " + std::string(method) +
                                      " with an error: " +
                                      response->error->value("message", std::string("unknown")));
    }
    return response->result.value_or(json::object());
  }

  void drop_connection() override {
    if (out_) out_->request_disconnect();
  }

  const std::string& session_id() const override { return session_.id(); }
  const std::string& protocol_version() const override { return version_; }

 private:
  void send(const json& message) {
    const auto& outbox = out_ ? out_ : session_.outbox();
    if (outbox) outbox->send(message);
  }

  ClientState& session_;
  std::shared_ptr<Outbox> out_;
  json progress_token_;
  CancelFlag cancelled_;
  std::chrono::milliseconds default_timeout_;
  std::string version_;
  std::optional<double> last_progress_;
};

}  // namespace

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

  RequestScope scope(session, call.out, std::move(progress_token), call.cancelled,
                     call.options.client_request_timeout);
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
  } catch (const tools::MissingClientCapability& e) {
    if (!is_modern(version)) return failed(e);
    observe("missing_capability");
    throw Error(code::missing_client_capability,
                "Missing required client capability: tool " + name + " needs '" +
                    e.capability() + "', which the request's clientCapabilities do not declare",
                {{"requiredCapabilities", {{e.capability(), json::object()}}}});
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
