#include "tool_support.hpp"

#include "mcpgate/tools/json_result.hpp"
#include "mcpgate/util/json_nesting.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

namespace mcpgate::tools::archon::detail {

// ---------------------------------------------------------------------------------------------
// Args

const json* Args::find(std::string_view name) const {
  if (!args_.is_object()) return nullptr;
  const auto it = args_.find(std::string(name));
  if (it == args_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> Args::str(std::string_view name) const {
  const json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw ArgumentError(std::string(name) + " must be a string");
  return value->get<std::string>();
}

std::string Args::required_str(std::string_view name) const {
  auto value = str(name);
  if (!value) throw ArgumentError(std::string(name) + " is required");
  return *value;
}

std::optional<long long> Args::integer(std::string_view name) const {
  const json* value = find(name);
  if (!value) return std::nullopt;
  if (value->is_number_integer()) return value->get<long long>();
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (std::trunc(number) == number && std::abs(number) < 9.0e18)
      return static_cast<long long>(number);
  }
  throw ArgumentError(std::string(name) + " must be an integer");
}

long long Args::integer_or(std::string_view name, long long fallback) const {
  return integer(name).value_or(fallback);
}

bool Args::boolean_or(std::string_view name, bool fallback) const {
  const json* value = find(name);
  if (!value) return fallback;
  if (!value->is_boolean()) throw ArgumentError(std::string(name) + " must be a boolean");
  return value->get<bool>();
}

json Args::raw(std::string_view name) const {
  const json* value = find(name);
  return value ? *value : json(nullptr);
}

json get_or(const json& object, std::string_view key, const json& fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(std::string(key));
  return it == object.end() ? fallback : *it;
}

// ---------------------------------------------------------------------------------------------
// Schemas

namespace {

std::string title_of(std::string_view name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (c == '_') {
      out += ' ';
      start = true;
    } else {
      out += (start && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      start = false;
    }
  }
  return out;
}

Param param(std::string name, json schema, std::string description, bool required) {
  schema["title"] = title_of(name);
  schema["description"] = std::move(description);
  return Param{std::move(name), std::move(schema), required};
}

}  // namespace

json object_schema(std::string_view tool_name, std::initializer_list<Param> params) {
  json properties = json::object();
  json required = json::array();
  for (const auto& p : params) {
    properties[p.name] = p.schema;
    if (p.required) required.push_back(p.name);
  }
  json schema{{"type", "object"},
              {"properties", std::move(properties)},
              {"title", std::string(tool_name) + "Arguments"}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Param required_string(std::string name, std::string description) {
  return param(std::move(name), json{{"type", "string"}}, std::move(description), true);
}

Param string_with_default(std::string name, std::string fallback, std::string description) {
  return param(std::move(name), json{{"type", "string"}, {"default", std::move(fallback)}},
               std::move(description), false);
}

Param optional_string(std::string name, std::string description) {
  return optional_any_of(std::move(name), {json{{"type", "string"}}}, std::move(description));
}

Param integer_with_default(std::string name, long long fallback, std::string description) {
  return param(std::move(name), json{{"type", "integer"}, {"default", fallback}},
               std::move(description), false);
}

Param optional_integer(std::string name, std::string description) {
  return optional_any_of(std::move(name), {json{{"type", "integer"}}}, std::move(description));
}

Param boolean_with_default(std::string name, bool fallback, std::string description) {
  return param(std::move(name), json{{"type", "boolean"}, {"default", fallback}},
               std::move(description), false);
}

Param optional_any_of(std::string name, std::initializer_list<json> types,
                      std::string description) {
  json any_of = json::array();
  for (const auto& type : types) any_of.push_back(type);
  any_of.push_back(json{{"type", "null"}});
  return param(std::move(name), json{{"anyOf", std::move(any_of)}, {"default", nullptr}},
               std::move(description), false);
}

// ---------------------------------------------------------------------------------------------
// Runners

ToolResult run_structured(const ApiClient& api, const std::string& operation,
                          const json& transport_context, const std::function<json()>& body) {
  json payload;
  try {
    payload = body();
  } catch (Reply& reply) {
    payload = std::move(reply.payload);
  } catch (const backend::TransportError& e) {
    payload = errors::from_transport(e, operation, api.timeouts(), transport_context);
  } catch (const ArgumentError& e) {
    payload = errors::validation_error(e.what(), "Check that all input parameters are valid");
  } catch (const std::exception& e) {
    spdlog::warn("tool {}: unexpected failure: {}", api.tool_name(), e.what());
    payload = errors::unknown_error(operation, e.what());
  } catch (...) {
    payload = errors::unknown_error(operation, "unexpected failure");
  }
  return json_string_result(payload);
}

json flat_error(const json& extra, const std::string& message) {
  json payload = extra.is_object() ? extra : json::object();
  payload["success"] = false;
  payload["error"] = message;
  return payload;
}

ToolResult run_flat(const ApiClient& api, const json& extra, const std::function<json()>& body) {
  json payload;
  try {
    payload = body();
  } catch (Reply& reply) {
    payload = std::move(reply.payload);
  } catch (const backend::TransportError& e) {
    payload = flat_error(extra, errors::describe_transport(e, api.timeouts()));
  } catch (const ArgumentError& e) {
    payload = flat_error(extra, e.what());
  } catch (const std::exception& e) {
    spdlog::warn("tool {}: unexpected failure: {}", api.tool_name(), e.what());
    payload = flat_error(extra, e.what());
  } catch (...) {
    payload = flat_error(extra, "unexpected failure");
  }
  return json_string_result(payload);
}

namespace {

std::string type_name(const json& value) {
  return value.is_null() ? "null" : std::string(value.type_name());
}

}  // namespace

namespace {

std::string answered(const backend::Response& response, std::string_view operation) {
  return "Failed to " + std::string(operation) + ": the Archon API answered HTTP " +
         std::to_string(response.status);
}

}  // namespace

namespace {

// What the body is, when it was not parsed: "JSON nested deeper than 100 levels", ...
std::string unparsed_body(const backend::Response& response) {
  if (response.body_too_large)
    return "a body over the size limit for backend answers (--max-backend-body)";
  if (response.body_too_deep)
    return "JSON nested deeper than " + std::to_string(util::max_json_nesting) + " levels";
  if (response.body_too_costly)
    return "JSON too large to parse within the memory limit for backend answers "
           "(--max-backend-body)";
  return "a body that is not JSON";
}

}  // namespace

std::string body_not_json(const backend::Response& response) {
  if (response.body_too_large)
    return "the body is over the size limit for backend answers (--max-backend-body)";
  if (!response.body_too_deep && !response.body_too_costly) return "the body is not JSON";
  return "the body is " + unparsed_body(response);
}

const json& json_body(const backend::Response& response, std::string_view operation) {
  if (!response.body_json)
    throw Reply{errors::invalid_response(answered(response, operation) + " with " +
                                             unparsed_body(response),
                                         json{{"response_text", prefix_chars(response.body, 500)}},
                                         response.status)};
  return *response.body_json;
}

const json& object_body(const backend::Response& response, std::string_view operation) {
  (void)json_body(response, operation);
  if (!response.body_json->is_object())
    throw Reply{errors::invalid_response(answered(response, operation) +
                                             " with JSON that is not an object",
                                         json{{"response_type", type_name(*response.body_json)}},
                                         response.status)};
  return *response.body_json;
}

json take_json_body(backend::Response& response, std::string_view operation) {
  (void)json_body(response, operation);
  return std::move(*response.body_json);
}

const json& flat_object_body(const backend::Response& response, const json& extra) {
  const std::string prefix =
      "Invalid response from the Archon API (HTTP " + std::to_string(response.status) + "): ";
  if (!response.body_json) throw Reply{flat_error(extra, prefix + body_not_json(response))};
  if (!response.body_json->is_object())
    throw Reply{flat_error(extra, prefix + "expected a JSON object, got " +
                                      type_name(*response.body_json))};
  return *response.body_json;
}

Tool make_tool(std::string name, std::string title, std::string description, json input_schema,
               bool read_only, ToolHandler handler) {
  json annotations = read_only ? json{{"readOnlyHint", true}, {"openWorldHint", false}}
                               : json{{"readOnlyHint", false},
                                      {"destructiveHint", true},
                                      {"idempotentHint", false},
                                      {"openWorldHint", false}};
  json output = string_result_schema(name);
  Tool tool{std::move(name),        std::move(title),       std::move(description),
            std::move(input_schema), std::move(output),     std::move(annotations),
            std::move(handler)};
  tool.style = CallStyle::silent;  // Archon's tools only talk to the backend
  return tool;
}

Tool may_run_as_task(Tool tool) {
  tool.task_support = TaskSupport::optional;
  return tool;
}

}  // namespace mcpgate::tools::archon::detail
