#include "mcpgate/protocol/dispatcher.hpp"

#include "mcpgate/logging.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/tool.hpp"
#include "mcpgate/util/compact_json.hpp"
#include "mcpgate/util/text.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

constexpr std::chrono::milliseconds cancel_poll{50};

const json& object_params(const jsonrpc::Request& request) {
  static const json empty = json::object();
  if (request.params.is_null()) return empty;
  if (!request.params.is_object())
    throw Error(code::invalid_params, "Invalid params: params must be an object");
  return request.params;
}

std::string required_string(const json& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_string())
    throw Error(code::invalid_params, std::string("Invalid params: \"") + key + "\" must be a string");
  return it->get<std::string>();
}

// Opaque pagination cursor: "o" + offset. Anything else is an invalid cursor.
std::size_t cursor_offset(const json& params, std::size_t total) {
  auto it = params.find("cursor");
  if (it == params.end() || it->is_null()) return 0;
  if (!it->is_string()) throw Error(code::invalid_params, "Invalid params: cursor must be a string");
  const auto& text = it->get_ref<const std::string&>();
  std::size_t offset = 0;
  if (text.size() < 2 || text[0] != 'o')
    throw Error(code::invalid_params, "Invalid params: unknown cursor");
  auto [ptr, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), offset);
  if (ec != std::errc() || ptr != text.data() + text.size() || offset == 0 || offset >= total)
    throw Error(code::invalid_params, "Invalid params: unknown cursor");
  return offset;
}

template <typename ItemAt>
json page(const json& params, std::size_t total, std::size_t page_size, const char* key,
          ItemAt item_at) {
  const std::size_t start = cursor_offset(params, total);
  const std::size_t end = std::min(total, start + page_size);
  json items = json::array();
  for (std::size_t i = start; i < end; ++i) items.push_back(item_at(i));
  json result{{key, std::move(items)}};
  if (end < total) result["nextCursor"] = std::string("o").append(std::to_string(end));
  return result;
}

std::string_view capability_for(std::string_view method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return {};
}

// What a tool handler sees of its request: the session, the outbox its messages go to, the
// progress token and the cancellation flag.
class RequestScope final : public tools::ToolContext {
 public:
  RequestScope(sessions::Session& session, std::shared_ptr<Outbox> out,
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

  void log(LogLevel level, json data, std::string_view logger) override {
    if (level < session_.log_level()) return;
    json params{{"level", to_string(level)}, {"data", std::move(data)}};
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
      throw tools::ClientRequestError("the client did not declare the '" +
                                      std::string(capability) + "' capability");
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
    auto& outbox = out_ ? out_ : fallback();
    if (outbox) outbox->send(message);
  }
  std::shared_ptr<Outbox>& fallback() {
    if (!main_) main_ = session_.session_stream();
    return main_;
  }

  sessions::Session& session_;
  std::shared_ptr<Outbox> out_;
  std::shared_ptr<Outbox> main_;
  json progress_token_;
  CancelFlag cancelled_;
  std::chrono::milliseconds default_timeout_;
  std::string version_;
  std::optional<double> last_progress_;
};

json server_capabilities(const SharedContext& context) {
  // Resources and prompts are declared even when the catalog has none (their lists are then
  // empty), as Archon's server did: older clients (MCP Inspector 0.15) call resources/list and
  // prompts/list whatever the capabilities say and fail the connection on -32601.
  json caps{{"tools", {{"listChanged", false}}},
            {"logging", json::object()},
            {"resources", {{"subscribe", true}, {"listChanged", false}}},
            {"prompts", {{"listChanged", false}}}};
  if (context.catalog.has_completions()) caps["completions"] = json::object();
  return caps;
}

}  // namespace

bool Dispatcher::runs_inline(const sessions::Session& session, const jsonrpc::Request& request,
                             bool caller_only_waits) {
  const std::string& method = request.method;
  if (method == "tools/call") {
    const auto name = request.params.is_object() ? request.params.find("name") : request.params.end();
    if (name == request.params.end() || !name->is_string()) return true;  // an error, at once
    const auto* entry = session.context().tools.find(name->get_ref<const std::string&>());
    if (entry == nullptr) return true;  // an unknown tool is an error, at once
    const auto style = entry->tool.style;
    return style == tools::CallStyle::instant ||
           (caller_only_waits && style == tools::CallStyle::silent);
  }
  return method != "prompts/get" && method != "resources/read" && method != "completion/complete";
}

std::variant<CancelFlag, json> Dispatcher::admit(sessions::Session& session,
                                                const jsonrpc::Request& request) {
  auto admitted = session.inflight().begin(request.id);
  if (auto* flag = std::get_if<CancelFlag>(&admitted)) return std::move(*flag);
  const auto refusal = std::get<InFlightRequests::Refusal>(admitted);
  // Once per session at warning level: a client flooding its session must not flood the log.
  if (refusal == InFlightRequests::Refusal::full) {
    const auto level = session.inflight().refused() == 1 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "session {}: {} refused: {} requests already in flight (--max-inflight)",
                session.id(), request.method, session.inflight().capacity());
  }
  return refusal_error(request.id, refusal, session.inflight().capacity());
}

std::optional<json> Dispatcher::handle_request(
    sessions::Session& session, const jsonrpc::Request& request,
    const std::shared_ptr<Outbox>& out, CancelFlag admitted) const {
  const LogScope log_scope(session.id(), &request.id);
  if (!admitted) {
    auto admission = admit(session, request);
    if (auto* error = std::get_if<json>(&admission)) {
      if (options_.observer) options_.observer->request_finished(request.method, true);
      return std::move(*error);
    }
    admitted = std::get<CancelFlag>(std::move(admission));
  }
  const CancelFlag cancelled = std::move(admitted);
  if (request.method != "initialize") session.note_request();
  json response;
  try {
    // The backend calls the handler makes end when the request is cancelled.
    const util::CancellationScope cancellation_scope(cancelled.get());
    response = jsonrpc::make_result(request.id, dispatch(session, request, out, cancelled));
  } catch (const Error& e) {
    response = jsonrpc::make_error(request.id, e.code(), e.what(), e.data());
  } catch (const std::exception& e) {
    spdlog::error("session {}: {} failed: {}", session.id(), request.method, e.what());
    response = jsonrpc::make_error(request.id, code::internal_error,
                                   std::string("Internal error: ") + e.what());
  }
  session.inflight().end(request.id);
  if (options_.observer) options_.observer->request_finished(request.method, response.contains("error"));
  // A cancelled request gets no response (initialize cannot be cancelled).
  if (cancelled->cancelled() && request.method != "initialize") return std::nullopt;
  return response;
}

json Dispatcher::dispatch(sessions::Session& session, const jsonrpc::Request& request,
                          const std::shared_ptr<Outbox>& out,
                          const CancelFlag& cancelled) const {
  const std::string& method = request.method;
  if (method == "initialize") return initialize(session, object_params(request));
  if (method == "ping") return json::object();
  if (!session.initialized())
    throw Error(code::invalid_request, "Invalid Request: the session is not initialized yet");

  const SharedContext& context = session.context();
  const json& params = object_params(request);

  if (method == "tools/list")
    return page(params, context.tools.size(), options_.page_size, "tools",
                [&](std::size_t i) { return context.tools.entries()[i].listing; });
  if (method == "tools/call") return call_tool(session, request, out, cancelled);

  if (method == "logging/setLevel") {
    const auto level = parse_log_level(required_string(params, "level"));
    if (!level) throw Error(code::invalid_params, "Invalid params: unknown log level");
    session.set_log_level(*level);
    return json::object();
  }

  const auto& catalog = context.catalog;
  if (method.rfind("resources/", 0) == 0) {
    if (method == "resources/list")
      return page(params, catalog.resource_count(), options_.page_size, "resources",
                  [&](std::size_t i) { return catalog.resource_listing(i); });
    if (method == "resources/templates/list")
      return page(params, catalog.template_count(), options_.page_size, "resourceTemplates",
                  [&](std::size_t i) { return catalog.template_listing(i); });
    if (method == "resources/read") {
      const auto uri = required_string(params, "uri");
      auto contents = catalog.read(uri);
      if (!contents)
        throw Error(code::resource_not_found, "Resource not found: " + uri, {{"uri", uri}});
      return json{{"contents", std::move(*contents)}};
    }
    if (method == "resources/subscribe" || method == "resources/unsubscribe") {
      const auto uri = required_string(params, "uri");
      if (!catalog.is_known_resource(uri))
        throw Error(code::resource_not_found, "Resource not found: " + uri, {{"uri", uri}});
      if (method == "resources/unsubscribe") {
        session.unsubscribe(uri);
      } else if (!session.subscribe(uri, options_.max_session_data)) {
        throw Error(code::invalid_params,
                    "Invalid params: this subscription would take what the session keeps past " +
                        std::to_string(options_.max_session_data) +
                        " bytes (--max-session-data); unsubscribe from others first",
                    {{"limit", options_.max_session_data}});
      }
      return json::object();
    }
  }

  if (method.rfind("prompts/", 0) == 0) {
    if (method == "prompts/list")
      return page(params, catalog.prompt_count(), options_.page_size, "prompts",
                  [&](std::size_t i) { return catalog.prompt_listing(i); });
    if (method == "prompts/get") {
      const auto name = required_string(params, "name");
      const Prompt* prompt = catalog.find_prompt(name);
      if (!prompt) throw Error(code::invalid_params, "Invalid params: unknown prompt: " + name);
      std::map<std::string, std::string> arguments;
      if (auto it = params.find("arguments"); it != params.end() && !it->is_null()) {
        if (!it->is_object())
          throw Error(code::invalid_params, "Invalid params: prompt arguments must be an object");
        for (const auto& [key, value] : it->items()) {
          if (!value.is_string())
            throw Error(code::invalid_params,
                        "Invalid params: prompt argument '" + key + "' must be a string");
          arguments[key] = value.get<std::string>();
        }
      }
      for (const auto& arg : prompt->arguments)
        if (arg.required && !arguments.count(arg.name))
          throw Error(code::invalid_params,
                      "Invalid params: missing required prompt argument '" + arg.name + "'");
      return prompt->get(arguments);
    }
  }

  if (method == "completion/complete" && catalog.has_completions()) {
    auto ref = params.find("ref");
    auto argument = params.find("argument");
    if (ref == params.end() || !ref->is_object() || argument == params.end() ||
        !argument->is_object() || !argument->contains("name") || !(*argument)["name"].is_string())
      throw Error(code::invalid_params, "Invalid params: completion needs \"ref\" and \"argument\"");
    const std::string type = ref->value("type", "");
    if (type == "ref/prompt") {
      if (!catalog.find_prompt(ref->value("name", "")))
        throw Error(code::invalid_params, "Invalid params: unknown prompt in ref");
    } else if (type == "ref/resource") {
      if (!catalog.is_known_resource(ref->value("uri", "")))
        throw Error(code::invalid_params, "Invalid params: unknown resource in ref");
    } else {
      throw Error(code::invalid_params, "Invalid params: unknown ref type");
    }
    auto values = catalog.completer()(*ref, *argument);
    const std::size_t total = values.size();
    if (values.size() > 100) values.resize(100);
    return json{{"completion", {{"values", values}, {"total", total}, {"hasMore", total > 100}}}};
  }

  throw Error(code::method_not_found, "Method not found: " + method);
}

json Dispatcher::initialize(sessions::Session& session, const json& params) const {
  auto version = params.find("protocolVersion");
  if (version == params.end() || !version->is_string())
    throw Error(code::invalid_params, "Invalid params: \"protocolVersion\" must be a string");
  static const json empty = json::object();
  auto object_member = [&](const char* key) -> const json& {
    auto it = params.find(key);
    return it != params.end() && it->is_object() ? *it : empty;
  };
  const json& capabilities = object_member("capabilities");
  const json& client_info = object_member("clientInfo");
  // The session keeps both for its whole life: bounded, so that initializes cannot pin memory.
  const std::size_t kept =
      util::compact_json(capabilities).size() + util::compact_json(client_info).size();
  if (kept > options_.max_session_data)
    throw Error(code::invalid_params,
                "Invalid params: capabilities and clientInfo take " + std::to_string(kept) +
                    " bytes as JSON; this server keeps at most " +
                    std::to_string(options_.max_session_data) +
                    " per session (--max-session-data)",
                {{"limit", options_.max_session_data}, {"size", kept}});
  const sessions::Session::Negotiated negotiated{
      .protocol_version = negotiate(version->get<std::string>()),
      .client_capabilities = capabilities,
      .client_info = client_info};
  std::string client = "unknown";
  if (auto name = negotiated.client_info.find("name");
      name != negotiated.client_info.end() && name->is_string())
    client = util::printable(name->get_ref<const std::string&>());
  const std::string chosen = negotiated.protocol_version;
  if (!session.initialize(negotiated))
    throw Error(code::invalid_request, "Invalid Request: the session is already initialized");
  spdlog::info("session {} initialized: client {}, protocol {}", session.id(), client, chosen);

  const SharedContext& context = session.context();
  json server_info{{"name", context.info.name}, {"version", context.info.version}};
  if (!context.info.title.empty()) server_info["title"] = context.info.title;
  if (!context.info.description.empty() && at_least(chosen, "2025-11-25"))
    server_info["description"] = context.info.description;
  json result{{"protocolVersion", chosen},
              {"capabilities", server_capabilities(context)},
              {"serverInfo", std::move(server_info)}};
  if (!context.info.instructions.empty()) result["instructions"] = context.info.instructions;
  return result;
}

json Dispatcher::call_tool(sessions::Session& session, const jsonrpc::Request& request,
                           const std::shared_ptr<Outbox>& out,
                           const CancelFlag& cancelled) const {
  const json& params = object_params(request);
  const auto name = required_string(params, "name");
  const auto* entry = session.context().tools.find(name);
  if (!entry) throw Error(code::invalid_params, "Unknown tool: " + name);

  const std::string version = session.protocol_version();
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&](std::string_view outcome) {
    if (options_.observer)
      options_.observer->tool_call_finished(name, outcome, std::chrono::steady_clock::now() - started);
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

  RequestScope scope(session, out, std::move(progress_token), cancelled,
                     options_.client_request_timeout);
  tools::ToolResult result;
  try {
    result = entry->tool.handler(arguments, scope);
  } catch (const std::exception& e) {
    observe("exception");
    spdlog::warn("session {}: tool {} failed: {}", session.id(), name, e.what());
    return tools::ToolResult::error("Tool " + name + " failed: " + e.what()).to_json();
  }
  if (entry->tool.output_schema && !result.is_error && !result.structured) {
    observe("exception");
    throw Error(code::internal_error,
                "Internal error: tool " + name + " returned no structured content");
  }
  observe(result.is_error ? "error" : "ok");
  return std::move(result).to_json();
}

void Dispatcher::handle_notification(sessions::Session& session,
                                     const jsonrpc::Notification& notification) const {
  const LogScope log_scope(session.id());
  const std::string& method = notification.method;
  if (method == "notifications/initialized") {
    session.mark_client_ready();
  } else if (method == "notifications/cancelled") {
    if (notification.params.is_object()) {
      auto id = notification.params.find("requestId");
      if (id != notification.params.end() && jsonrpc::is_valid_id(*id)) {
        if (session.inflight().cancel(*id))
          spdlog::info("session {}: request {} cancelled by the client", session.id(), id->dump());
      }
    }
  }
  // Other notifications (progress, roots/list_changed, ...) need no action; never answered.
}

bool Dispatcher::handle_response(sessions::Session& session,
                                 const jsonrpc::Response& response) const {
  return session.replies().deliver(response);
}

}  // namespace mcpgate::protocol
