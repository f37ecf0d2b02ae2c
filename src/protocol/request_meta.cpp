#include "mcpgate/protocol/request_meta.hpp"

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/versions.hpp"

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

const json* find_meta(const json& params) {
  if (!params.is_object()) return nullptr;
  auto meta = params.find("_meta");
  return meta != params.end() && meta->is_object() ? &*meta : nullptr;
}

[[noreturn]] void invalid(const std::string& why) {
  throw Error(code::invalid_params, "Invalid params: " + why);
}

}  // namespace

bool has_modern_meta(const json& params) {
  const json* meta = find_meta(params);
  return meta != nullptr && meta->contains(meta_key::protocol_version);
}

std::optional<std::string> meta_protocol_version(const json& params) {
  const json* meta = find_meta(params);
  if (meta == nullptr) return std::nullopt;
  auto version = meta->find(meta_key::protocol_version);
  if (version == meta->end() || !version->is_string()) return std::nullopt;
  return version->get<std::string>();
}

json unsupported_version_data(const std::string& requested) {
  json supported = json::array();
  for (auto version : modern_versions) supported.push_back(version);
  return {{"supported", std::move(supported)}, {"requested", requested}};
}

RequestMeta parse_request_meta(const json& params) {
  if (!params.is_null() && !params.is_object()) invalid("params must be an object");
  const json* meta = find_meta(params);
  if (meta == nullptr)
    invalid("params._meta is required: every request names its protocol version and client "
            "capabilities there");
  auto version = meta->find(meta_key::protocol_version);
  if (version == meta->end() || !version->is_string())
    invalid(std::string("_meta[\"") + meta_key::protocol_version + "\"] must be a string");
  auto capabilities = meta->find(meta_key::client_capabilities);
  if (capabilities == meta->end() || !capabilities->is_object())
    invalid(std::string("_meta[\"") + meta_key::client_capabilities + "\"] must be an object");

  RequestMeta result;
  result.protocol_version = version->get<std::string>();
  if (!is_modern(result.protocol_version))
    throw Error(code::unsupported_protocol_version,
                "Unsupported protocol version: " + result.protocol_version,
                unsupported_version_data(result.protocol_version));
  result.client_capabilities = *capabilities;
  if (auto info = meta->find(meta_key::client_info); info != meta->end()) {
    if (!info->is_object())
      invalid(std::string("_meta[\"") + meta_key::client_info + "\"] must be an object");
    result.client_info = *info;
  }
  if (auto level = meta->find(meta_key::log_level); level != meta->end()) {
    const auto parsed = level->is_string() ? tools::parse_log_level(level->get<std::string>())
                                           : std::nullopt;
    if (!parsed) invalid(std::string("_meta[\"") + meta_key::log_level + "\"] is no log level");
    result.log_level = *parsed;
  }
  return result;
}

}  // namespace mcpgate::protocol
