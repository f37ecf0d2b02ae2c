// What a request of the modern era (2026-07-28) says about its client in params._meta: the
// revision it speaks, the capabilities it declares for this request, who it is and the log
// level it wants. Without a session, this is all the server knows of the client, per request.
#pragma once

#include "mcpgate/tools/log_level.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace mcpgate::protocol {

namespace meta_key {
inline constexpr const char* protocol_version = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* client_capabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* client_info = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* log_level = "io.modelcontextprotocol/logLevel";
inline constexpr const char* server_info = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* subscription_id = "io.modelcontextprotocol/subscriptionId";
}  // namespace meta_key

struct RequestMeta {
  std::string protocol_version;
  nlohmann::json client_capabilities = nlohmann::json::object();
  nlohmann::json client_info = nlohmann::json::object();  // {} when the client sent none
  // Logs only when the request asked for them (there is no logging/setLevel any more).
  tools::LogLevel log_level = tools::LogLevel::off;
};

// Whether `params` carry the modern per-request envelope: a protocol version in _meta. Such a
// request is served statelessly whatever else it carries.
[[nodiscard]] bool has_modern_meta(const nlohmann::json& params);

// The version the request's _meta names, or nullopt when it names none (or not as a string).
[[nodiscard]] std::optional<std::string> meta_protocol_version(const nlohmann::json& params);

// Read and check the envelope. Throws jsonrpc::Error: -32602 when a required field is missing
// or malformed (params not an object, no _meta, no protocolVersion or clientCapabilities, a
// logLevel that is no level), -32022 with data {supported, requested} when the version is not
// one this server serves statelessly.
[[nodiscard]] RequestMeta parse_request_meta(const nlohmann::json& params);

// data of the -32022 error: the modern versions served and the one asked for.
[[nodiscard]] nlohmann::json unsupported_version_data(const std::string& requested);

}  // namespace mcpgate::protocol
