// Lifecycle, logging, resources, prompts and completion (tools are in tool_calls.cpp).
#include "input_rounds.hpp"
#include "method_handlers.hpp"
#include "request_scope.hpp"

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/util/compact_json.hpp"
#include "mcpgate/util/text.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <map>

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

const json& MethodCall::params() const {
  static const json empty = json::object();
  if (request.params.is_null()) return empty;
  if (!request.params.is_object())
    throw Error(code::invalid_params, "Invalid params: params must be an object");
  return request.params;
}

namespace handlers {

namespace {

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

// -32002 on the session revisions; the modern era retired that code for -32602.
[[noreturn]] void resource_not_found(const MethodCall& call, const std::string& uri) {
  const int error = is_modern(call.client.protocol_version()) ? code::invalid_params
                                                               : code::resource_not_found;
  throw Error(error, "Resource not found: " + uri, {{"uri", uri}});
}

}  // namespace

std::string required_string(const json& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_string())
    throw Error(code::invalid_params, std::string("Invalid params: \"") + key + "\" must be a string");
  return it->get<std::string>();
}

json page(const json& params, std::size_t total, std::size_t page_size, const char* key,
          const std::function<json(std::size_t)>& item_at) {
  const std::size_t start = cursor_offset(params, total);
  const std::size_t end = std::min(total, start + page_size);
  json items = json::array();
  for (std::size_t i = start; i < end; ++i) items.push_back(item_at(i));
  json result{{key, std::move(items)}};
  if (end < total) result["nextCursor"] = std::string("o").append(std::to_string(end));
  return result;
}

json initialize(MethodCall& call) {
  const json& params = call.params();
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
  const std::size_t limit = call.options.max_session_data;
  const std::size_t kept =
      util::compact_json(capabilities).size() + util::compact_json(client_info).size();
  if (kept > limit)
    throw Error(code::invalid_params,
                "Invalid params: capabilities and clientInfo take " + std::to_string(kept) +
                    " bytes as JSON; this server keeps at most " + std::to_string(limit) +
                    " per session (--max-session-data)",
                {{"limit", limit}, {"size", kept}});
  const ClientState::Negotiated negotiated{
      .protocol_version = negotiate(version->get<std::string>()),
      .client_capabilities = capabilities,
      .client_info = client_info};
  std::string client = "unknown";
  if (auto name = negotiated.client_info.find("name");
      name != negotiated.client_info.end() && name->is_string())
    client = util::printable(name->get_ref<const std::string&>());
  const std::string chosen = negotiated.protocol_version;
  if (!call.client.initialize(negotiated))
    throw Error(code::invalid_request, "Invalid Request: the session is already initialized");
  spdlog::info("session {} initialized: client {}, protocol {}", call.client.id(), client, chosen);

  const SharedContext& context = call.context;
  json server_info{{"name", context.info.name}, {"version", context.info.version}};
  if (!context.info.title.empty()) server_info["title"] = context.info.title;
  if (!context.info.description.empty() && at_least(chosen, "2025-11-25"))
    server_info["description"] = context.info.description;
  json result{{"protocolVersion", chosen},
              {"capabilities", server_capabilities(context, chosen)},
              {"serverInfo", std::move(server_info)}};
  if (!context.info.instructions.empty()) result["instructions"] = context.info.instructions;
  return result;
}

json ping(MethodCall&) { return json::object(); }

json discover(MethodCall& call) {
  json versions = json::array();
  for (auto version : modern_versions) versions.push_back(version);
  json result{{"supportedVersions", std::move(versions)},
              {"capabilities", server_capabilities(call.context, call.client.protocol_version())}};
  if (!call.context.info.instructions.empty())
    result["instructions"] = call.context.info.instructions;
  return result;
}

json set_log_level(MethodCall& call) {
  const auto level = tools::parse_log_level(required_string(call.params(), "level"));
  if (!level) throw Error(code::invalid_params, "Invalid params: unknown log level");
  call.client.set_log_level(*level);
  return json::object();
}

json listen(MethodCall&) {
  throw Error(code::invalid_request,
              "Invalid Request: subscriptions/listen answers with an SSE stream; send it with "
              "Accept: text/event-stream");
}

json list_resources(MethodCall& call) {
  const auto lists = call.context.lists->current();
  const auto& catalog = lists->catalog;
  return page(call.params(), catalog.resource_count(), call.options.page_size, "resources",
              [&](std::size_t i) { return catalog.resource_listing(i); });
}

json list_resource_templates(MethodCall& call) {
  const auto lists = call.context.lists->current();
  const auto& catalog = lists->catalog;
  return page(call.params(), catalog.template_count(), call.options.page_size,
              "resourceTemplates", [&](std::size_t i) { return catalog.template_listing(i); });
}

json read_resource(MethodCall& call) {
  const auto uri = required_string(call.params(), "uri");
  auto contents = call.context.lists->current()->catalog.read(uri);
  if (!contents) resource_not_found(call, uri);
  return json{{"contents", std::move(*contents)}};
}

json subscribe(MethodCall& call) {
  const auto uri = required_string(call.params(), "uri");
  if (!call.context.lists->current()->catalog.is_known_resource(uri))
    resource_not_found(call, uri);
  const std::size_t limit = call.options.max_session_data;
  if (!call.client.subscribe(uri, limit))
    throw Error(code::invalid_params,
                "Invalid params: this subscription would take what the session keeps past " +
                    std::to_string(limit) +
                    " bytes (--max-session-data); unsubscribe from others first",
                {{"limit", limit}});
  return json::object();
}

json unsubscribe(MethodCall& call) {
  const auto uri = required_string(call.params(), "uri");
  if (!call.context.lists->current()->catalog.is_known_resource(uri))
    resource_not_found(call, uri);
  call.client.unsubscribe(uri);
  return json::object();
}

json list_prompts(MethodCall& call) {
  const auto lists = call.context.lists->current();
  const auto& catalog = lists->catalog;
  return page(call.params(), catalog.prompt_count(), call.options.page_size, "prompts",
              [&](std::size_t i) { return catalog.prompt_listing(i); });
}

json get_prompt(MethodCall& call) {
  const json& params = call.params();
  const auto name = required_string(params, "name");
  const auto lists = call.context.lists->current();
  const tools::Prompt* prompt = lists->catalog.find_prompt(name);
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
  if (!prompt->get_with_input) return prompt->get(arguments);

  const bool modern = is_modern(call.client.protocol_version());
  std::optional<InputRounds> rounds;
  if (modern) {
    json digested = json::object();
    for (const auto& [key, value] : arguments) digested[key] = value;
    rounds.emplace(params,
                   StateBinding{.method = call.request.method,
                                .name = name,
                                .arguments_digest = arguments_digest(digested)},
                   *call.options.request_state);
  }
  RequestScope scope(call.client, call.out, nullptr, call.cancelled,
                     call.options.client_request_timeout, rounds ? &*rounds : nullptr);
  try {
    return prompt->get_with_input(arguments, scope);
  } catch (const tools::InputRequired& needed) {
    if (!rounds) throw;
    return rounds->input_required_result(needed);
  } catch (const tools::MissingClientCapability& e) {
    if (modern) refuse_missing_capability("prompt " + name, e);
    throw Error(code::invalid_params, "Invalid params: prompt " + name + " needs input the client "
                                      "cannot give: " + e.what());
  } catch (const tools::ClientRequestError& e) {
    throw Error(code::internal_error,
                "Internal error: prompt " + name + " could not get its input: " + e.what());
  }
}

json complete(MethodCall& call) {
  const json& params = call.params();
  const auto lists = call.context.lists->current();
  const auto& catalog = lists->catalog;
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

}  // namespace handlers
}  // namespace mcpgate::protocol
