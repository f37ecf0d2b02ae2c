// The modern era's standard request headers (MCP 2026-07-28): MCP-Protocol-Version, Mcp-Method
// and, on tools/call, resources/read and prompts/get (and the tasks extension's tasks/get,
// tasks/update and tasks/cancel: the taskId), Mcp-Name. They mirror the body so that
// proxies can route without parsing it; the server checks that they say what the body says, so
// that nothing in front of it can be told one thing while the server does another.
#pragma once

#include "mcpgate/jsonrpc.hpp"

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::transport {

inline constexpr const char* protocol_version_header = "MCP-Protocol-Version";
inline constexpr const char* method_header = "Mcp-Method";
inline constexpr const char* name_header = "Mcp-Name";

// A header value as the client meant it: plain text (visible ASCII, inner spaces and tabs), or
// the UTF-8 text inside `=?base64?…?=`. nullopt when it holds other characters or bad base64.
[[nodiscard]] std::optional<std::string> decode_header_value(std::string_view value);

// Why the standard headers do not match `request` (which names `version` in its _meta): a
// header missing, sent twice, malformed, or saying something else than the body. nullopt when
// they match. The answer to a mismatch is 400 with -32020.
[[nodiscard]] std::optional<std::string> standard_header_mismatch(
    const httplib::Request& req, const jsonrpc::Request& request, std::string_view version);

// Why the Mcp-Param-{Name} headers of a tools/call do not match its `arguments`: each property
// of `input_schema` marked `x-mcp-header` (reached through `properties` alone) whose argument is
// present must come with its header, equal after decoding (integers compared as numbers,
// booleans as true/false). nullopt when they match.
[[nodiscard]] std::optional<std::string> custom_header_mismatch(
    const httplib::Request& req, const nlohmann::json& arguments,
    const nlohmann::json& input_schema);

}  // namespace mcpgate::transport
