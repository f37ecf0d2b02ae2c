#include "mcpgate/jsonrpc.hpp"

#include "mcpgate/util/compact_json.hpp"
#include "mcpgate/util/json_cost.hpp"
#include "mcpgate/util/json_nesting.hpp"

namespace mcpgate::jsonrpc {

namespace {

// The id to echo in an error about this value, when it can be read.
json readable_id(const json& value) {
  if (value.is_object()) {
    auto it = value.find("id");
    if (it != value.end() && is_valid_id(*it)) return *it;
  }
  return nullptr;
}

Invalid invalid(const json& value, std::string message) {
  return Invalid{readable_id(value), code::invalid_request, std::move(message)};
}

}  // namespace

bool is_valid_id(const json& id) {
  return id.is_string() || id.is_number_integer();
}

Item classify(const json& value) {
  if (!value.is_object()) return invalid(value, "Invalid Request: a message must be a JSON object");
  auto version = value.find("jsonrpc");
  if (version == value.end() || !version->is_string() || *version != "2.0")
    return invalid(value, "Invalid Request: \"jsonrpc\" must be \"2.0\"");

  const bool has_id = value.contains("id");
  const bool has_method = value.contains("method");
  json params = nullptr;
  if (auto p = value.find("params"); p != value.end()) {
    if (!p->is_object() && !p->is_array())
      return invalid(value, "Invalid Request: \"params\" must be an object or an array");
    params = *p;
  }

  if (has_method) {
    const json& method = value["method"];
    if (!method.is_string()) return invalid(value, "Invalid Request: \"method\" must be a string");
    if (value.contains("result") || value.contains("error"))
      return invalid(value, "Invalid Request: a request cannot carry \"result\" or \"error\"");
    if (!has_id) return Message{Notification{method.get<std::string>(), std::move(params)}};
    const json& id = value["id"];
    if (!is_valid_id(id))
      return Invalid{nullptr, code::invalid_request,
                     "Invalid Request: \"id\" must be a string or an integer"};
    return Message{Request{id, method.get<std::string>(), std::move(params)}};
  }

  // No method: a response to one of our requests.
  if (!has_id) return invalid(value, "Invalid Request: missing \"method\"");
  const bool has_result = value.contains("result");
  const bool has_error = value.contains("error");
  // Neither: a request that lost its method, not a response (say what is really missing).
  if (!has_result && !has_error) return invalid(value, "Invalid Request: missing \"method\"");
  if (has_result && has_error)
    return invalid(value, "Invalid Request: a response needs exactly one of \"result\" or \"error\"");
  const json& id = value["id"];
  if (has_error) {
    const json& err = value["error"];
    if (!err.is_object() || !err.contains("code") || !err["code"].is_number_integer() ||
        !err.contains("message") || !err["message"].is_string())
      return invalid(value, "Invalid Request: \"error\" needs an integer code and a message");
    // An error response may carry a null id when the peer could not read ours.
    if (!id.is_null() && !is_valid_id(id))
      return invalid(value, "Invalid Request: \"id\" must be a string or an integer");
    return Message{Response{id, std::nullopt, err}};
  }
  if (!is_valid_id(id))
    return invalid(value, "Invalid Request: \"id\" must be a string or an integer");
  return Message{Response{id, value["result"], std::nullopt}};
}

std::variant<Parsed, ParseError> parse(std::string_view body, std::size_t max_parse_bytes) {
  if (!util::json_nesting_within(body))
    return ParseError{code::parse_error, "Parse error: JSON nested deeper than " +
                                             std::to_string(util::max_json_nesting) + " levels"};
  if (!util::json_parse_cost_within(body, max_parse_bytes))
    return ParseError{code::parse_error,
                      "Parse error: the message would take more than " +
                          std::to_string(max_parse_bytes) +
                          " bytes of memory once parsed (--max-parse-bytes); send fewer values",
                      true};
  json value = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return ParseError{code::parse_error, "Parse error: the body is not valid JSON"};
  Parsed parsed;
  if (value.is_array()) {
    if (value.empty()) return ParseError{code::invalid_request, "Invalid Request: empty batch"};
    parsed.batch = true;
    parsed.items.reserve(value.size());
    for (const auto& element : value) parsed.items.push_back(classify(element));
  } else {
    parsed.items.push_back(classify(value));
  }
  return parsed;
}

json make_result(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, int code, std::string_view message, const json& data) {
  json error{{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json make_request(const json& id, std::string_view method, json params) {
  json message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

json make_notification(std::string_view method, json params) {
  json message{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

std::string dump(const json& value) { return util::compact_json(value); }

}  // namespace mcpgate::jsonrpc
