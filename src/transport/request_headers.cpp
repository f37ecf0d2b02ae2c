#include "mcpgate/transport/request_headers.hpp"

#include "mcpgate/util/base64.hpp"
#include "mcpgate/util/text.hpp"

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

}  // namespace mcpgate::transport
