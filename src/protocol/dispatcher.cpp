#include "mcpgate/protocol/dispatcher.hpp"

#include "mcpgate/logging.hpp"
#include "mcpgate/protocol/request_meta.hpp"
#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/tool.hpp"
#include "mcpgate/util/secure_random.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

Dispatcher::Dispatcher(DispatchOptions options) : options_(std::move(options)) {
  if (!options_.request_state)
    options_.request_state = std::make_shared<const RequestStateCodec>(
        util::secure_random_bytes(min_state_key_bytes), RequestStateCodec::Options{});
}

bool Dispatcher::runs_inline(const ClientState& session, const jsonrpc::Request& request,
                             bool caller_only_waits) {
  const Method* method =
      find_method(request.method, session.protocol_version(), session.context());
  if (method == nullptr) return true;  // an error, at once
  switch (method->placement) {
    case Placement::connection:
      return true;
    case Placement::executor:
      return false;
    case Placement::stream:
      return true;
    case Placement::tool_style:
      break;
  }
  const auto name = request.params.is_object() ? request.params.find("name") : request.params.end();
  if (name == request.params.end() || !name->is_string()) return true;  // an error, at once
  const auto lists = session.context().lists->current();
  const auto* entry = lists->tools.find(name->get_ref<const std::string&>());
  if (entry == nullptr) return true;  // an unknown tool is an error, at once
  const auto& tool = entry->tool;
  // The tasks extension: starting a task (or refusing a tool that needs one) takes no time.
  if (tool.task_support != tools::TaskSupport::never && tool.ask_before_task.empty() &&
      is_modern(session.protocol_version()) &&
      (tool.task_support == tools::TaskSupport::required ||
       session.declares_extension(tasks_extension)))
    return true;
  const auto style = tool.style;
  return style == tools::CallStyle::instant ||
         (caller_only_waits && style == tools::CallStyle::silent);
}

bool Dispatcher::opens_stream(const ClientState& client, const jsonrpc::Request& request) {
  const Method* method = find_method(request.method, client.protocol_version(), client.context());
  return method != nullptr && method->placement == Placement::stream;
}

std::variant<std::unique_ptr<Subscriptions::Handle>, json> Dispatcher::listen(
    ClientState& client, const jsonrpc::Request& request,
    const std::shared_ptr<Outbox>& out) const {
  const LogScope log_scope(client.id(), &request.id);
  const SharedContext& context = client.context();
  auto fail = [&](int error, const std::string& message, json data = nullptr) {
    if (options_.observer) options_.observer->request_finished(request.method, true);
    return jsonrpc::make_error(request.id, error, message, std::move(data));
  };
  if (!options_.subscriptions || !opens_stream(client, request))
    return fail(code::method_not_found, "Method not found: " + request.method);
  ListenFilter filter;
  try {
    if (!request.params.is_object())
      throw Error(code::invalid_params, "Invalid params: params must be an object");
    filter = honoured_filter(request.params, *context.lists,
                             ListenLimits{.max_uris = options_.max_listen_uris,
                                          .max_uri_bytes = options_.max_session_data});
  } catch (const Error& e) {
    return fail(e.code(), e.what(), e.data());
  }
  if (options_.observer) options_.observer->request_finished(request.method, false);
  return options_.subscriptions->open(
      request.id, std::move(filter), out,
      json{{"name", context.info.name}, {"version", context.info.version}});
}

std::variant<CancelFlag, json> Dispatcher::admit(ClientState& session,
                                                const jsonrpc::Request& request) const {
  auto admitted = session.inflight().begin(request.id);
  if (auto* flag = std::get_if<CancelFlag>(&admitted)) return std::move(*flag);
  const auto refusal = std::get<InFlightRequests::Refusal>(admitted);
  // Once per session at warning level: a client flooding its session must not flood the log.
  if (refusal == InFlightRequests::Refusal::full) {
    const auto level = session.inflight().refused() == 1 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "session {}: {} refused: {} requests already in flight (--max-inflight)",
                session.id(), request.method, session.inflight().capacity());
  }
  if (options_.observer) {
    options_.observer->request_finished(request.method, true);
    options_.observer->request_refused(refusal_reason(refusal));
  }
  return refusal_error(request.id, refusal, session.inflight().capacity());
}

std::optional<json> Dispatcher::handle_request(
    ClientState& session, const jsonrpc::Request& request,
    const std::shared_ptr<Outbox>& out, CancelFlag admitted) const {
  const LogScope log_scope(session.id(), &request.id);
  if (!admitted) {
    auto admission = admit(session, request);
    if (auto* error = std::get_if<json>(&admission)) return std::move(*error);
    admitted = std::get<CancelFlag>(std::move(admission));
  }
  const CancelFlag cancelled = std::move(admitted);
  if (!is_initialize(request.method)) session.note_request();
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
  if (cancelled->cancelled() && !is_initialize(request.method)) return std::nullopt;
  return response;
}

json Dispatcher::dispatch(ClientState& session, const jsonrpc::Request& request,
                          const std::shared_ptr<Outbox>& out, const CancelFlag& cancelled) const {
  const SharedContext& context = session.context();
  const Method* method = find_method(request.method, session.protocol_version(), context);
  if ((method == nullptr || !method->before_initialize) && !session.initialized())
    throw Error(code::invalid_request, "Invalid Request: the session is not initialized yet");
  MethodCall call{.client = session,
                  .context = context,
                  .request = request,
                  .out = out,
                  .cancelled = cancelled,
                  .options = options_};
  if (method == nullptr) {
    (void)call.params();  // params that are not an object are the first thing wrong
    throw Error(code::method_not_found, "Method not found: " + request.method);
  }
  if (method->placement == Placement::stream && options_.subscriptions == nullptr)
    throw Error(code::method_not_found, "Method not found: " + request.method);
  if (!method->extension.empty() && !session.declares_extension(method->extension)) {
    const std::string extension(method->extension);
    throw Error(code::missing_client_capability,
                "Missing required client capability: " + request.method +
                    " belongs to the extension " + extension +
                    ", which the request's clientCapabilities do not declare",
                {{"requiredCapabilities", {{"extensions", {{extension, json::object()}}}}}});
  }
  json result = method->handler(call);
  if (is_modern(session.protocol_version())) complete_modern_result(result, *method, context);
  return result;
}

void Dispatcher::complete_modern_result(json& result, const Method& method,
                                        const SharedContext& context) const {
  if (!result.is_object()) return;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  if (result["resultType"] == "input_required" && !method.input_rounds)
    throw Error(code::internal_error, "Internal error: " + std::string(method.name) +
                                          " cannot answer input_required");
  auto& meta = result["_meta"];
  if (!meta.is_object()) meta = json::object();
  meta[meta_key::server_info] = {{"name", context.info.name}, {"version", context.info.version}};
  // Interim results (input_required) are never cached.
  if (method.caching == Caching::none || result["resultType"] != "complete") return;
  const bool listing = method.caching == Caching::listing;
  result["ttlMs"] = listing ? options_.listing_ttl.count() : 0;
  result["cacheScope"] = listing ? "public" : "private";
}

bool Dispatcher::handle_notification(ClientState& session,
                                     const jsonrpc::Notification& notification) const {
  const LogScope log_scope(session.id());
  const std::string& method = notification.method;
  if (method == "notifications/initialized") {
    session.mark_client_ready();
  } else if (method == "notifications/cancelled") {
    if (notification.params.is_object()) {
      auto id = notification.params.find("requestId");
      if (id != notification.params.end() && jsonrpc::is_valid_id(*id)) {
        if (!session.inflight().cancel(*id)) return false;
        spdlog::info("session {}: request {} cancelled by the client", session.id(), id->dump());
      }
    }
  }
  // Other notifications (progress, roots/list_changed, ...) need no action; never answered.
  return true;
}

bool Dispatcher::handle_response(ClientState& session,
                                 const jsonrpc::Response& response) const {
  return session.replies().deliver(response);
}

}  // namespace mcpgate::protocol
