#include "mcpgate/transport/request_headers.hpp"

#include "mcpgate/util/base64.hpp"
#include "mcpgate/util/text.hpp"

#include <cstdlib>

namespace mcpgate::transport {

namespace {

constexpr std::string_view sentinel_prefix = "=?base64?";
constexpr std::string_view sentinel_suffix = "?=";

bool plain_header_text(std::string_view value) {
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte != '\t' && (byte < 0x20 || byte > 0x7E)) return false;
  }
  return true;
}

// The one value of header `name`; nullopt and `why` set when it is missing or repeated.
std::optional<std::string> single(const httplib::Request& req, const char* name,
                                  std::string& why) {
  const auto count = req.get_header_value_count(name);
  if (count == 0) {
    why = std::string("the ") + name + " header is required";
    return std::nullopt;
  }
  if (count > 1) {
    why = std::string("the ") + name + " header is sent more than once";
    return std::nullopt;
  }
  return req.get_header_value(name);
}

std::string in_quotes(std::string_view text) { return "'" + util::printable(text, 120) + "'"; }

}  // namespace

std::optional<std::string> decode_header_value(std::string_view value) {
  if (!plain_header_text(value)) return std::nullopt;
  if (value.size() < sentinel_prefix.size() + sentinel_suffix.size() ||
      value.substr(0, sentinel_prefix.size()) != sentinel_prefix ||
      value.substr(value.size() - sentinel_suffix.size()) != sentinel_suffix)
    return std::string(value);
  return util::base64_decode(value.substr(
      sentinel_prefix.size(), value.size() - sentinel_prefix.size() - sentinel_suffix.size()));
}

std::optional<std::string> standard_header_mismatch(const httplib::Request& req,
                                                    const jsonrpc::Request& request,
                                                    std::string_view version) {
  std::string why;
  const auto sent_version = single(req, protocol_version_header, why);
  if (!sent_version) return why;
  if (*sent_version != version)
    return std::string(protocol_version_header) + " header " + in_quotes(*sent_version) +
           " does not match the body's protocol version " + in_quotes(version);

  const auto sent_method = single(req, method_header, why);
  if (!sent_method) return why;
  if (*sent_method != request.method)
    return std::string(method_header) + " header " + in_quotes(*sent_method) +
           " does not match the body's method " + in_quotes(request.method);

  const char* source = nullptr;
  if (request.method == "tools/call" || request.method == "prompts/get") source = "name";
  if (request.method == "resources/read") source = "uri";
  // The tasks extension routes a task's requests by its id.
  if (request.method == "tasks/get" || request.method == "tasks/update" ||
      request.method == "tasks/cancel")
    source = "taskId";
  if (source == nullptr) return std::nullopt;
  const auto sent_name = single(req, name_header, why);
  if (!sent_name) return why;
  const auto name = decode_header_value(*sent_name);
  if (!name)
    return std::string(name_header) +
           " header holds characters a header cannot carry, or bad =?base64?…?= text";
  const auto& params = request.params;
  const auto body = params.is_object() ? params.find(source) : params.end();
  if (body == params.end() || !body->is_string())
    return std::string(name_header) + " header is sent but params." + source +
           " is not a string";
  if (*name != body->get_ref<const std::string&>())
    return std::string(name_header) + " header " + in_quotes(*name) + " does not match params." +
           source + " " + in_quotes(body->get_ref<const std::string&>());
  return std::nullopt;
}

namespace {

// Whether header text `sent` says what `value` (an argument of a primitive type) says.
bool header_matches(const std::string& sent, const nlohmann::json& value) {
  if (value.is_string()) return sent == value.get_ref<const std::string&>();
  if (value.is_boolean()) return sent == (value.get<bool>() ? "true" : "false");
  if (value.is_number_integer() || value.is_number_unsigned()) {
    // "42" and "42.0" both say 42: compared as numbers, as the revision asks.
    double parsed = 0;
    const char* begin = sent.c_str();
    char* end = nullptr;
    parsed = std::strtod(begin, &end);
    if (sent.empty() || end != begin + sent.size()) return false;
    return parsed == value.get<double>();
  }
  return false;  // x-mcp-header marks primitive properties only
}

// Walks `schema` through `properties` alone, checking every marked property found.
std::optional<std::string> check_properties(const httplib::Request& req,
                                            const nlohmann::json& arguments,
                                            const nlohmann::json& schema, int depth) {
  constexpr int max_depth = 16;  // schemas are ours, but a walk is bounded anyway
  if (depth > max_depth || !schema.is_object()) return std::nullopt;
  const auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return std::nullopt;
  for (const auto& [name, property] : properties->items()) {
    if (!property.is_object()) continue;
    const auto value = arguments.is_object() ? arguments.find(name) : arguments.end();
    const bool present = arguments.is_object() && value != arguments.end() && !value->is_null();
    if (const auto mark = property.find("x-mcp-header");
        mark != property.end() && mark->is_string() && present) {
      const std::string header = "Mcp-Param-" + mark->get<std::string>();
      std::string why;
      const auto sent = single(req, header.c_str(), why);
      if (!sent) return why + " (argument " + name + " is in the body)";
      const auto decoded = decode_header_value(*sent);
      if (!decoded)
        return header + " header holds characters a header cannot carry, or bad =?base64?…?= text";
      if (!header_matches(*decoded, *value))
        return header + " header " + in_quotes(*decoded) + " does not match argument " + name;
    }
    if (present) {
      if (auto why = check_properties(req, *value, property, depth + 1)) return why;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> custom_header_mismatch(const httplib::Request& req,
                                                  const nlohmann::json& arguments,
                                                  const nlohmann::json& input_schema) {
  return check_properties(req, arguments, input_schema, 0);
}

}  // namespace mcpgate::transport
