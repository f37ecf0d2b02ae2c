// Requests of the modern era (MCP 2026-07-28) as a client sends them: the _meta envelope in
// params, and the headers that mirror the body (MCP-Protocol-Version, Mcp-Method, Mcp-Name).
#pragma once

#include "test_server.hpp"

namespace itest {

inline constexpr const char* modern_revision = "2026-07-28";

inline json modern_meta(json capabilities = json::object(), std::string_view version = modern_revision) {
  return {{"io.modelcontextprotocol/protocolVersion", version},
          {"io.modelcontextprotocol/clientInfo", {{"name", "itest"}, {"version", "1.0"}}},
          {"io.modelcontextprotocol/clientCapabilities", std::move(capabilities)}};
}

// A request with the envelope added to `params` (kept when params already carry a _meta).
inline json modern_request(const json& id, std::string_view method, json params = json::object()) {
  if (!params.contains("_meta")) params["_meta"] = modern_meta();
  return rpc_request(id, method, std::move(params));
}

// The headers a conforming client sends with `message`.
inline Headers modern_headers(const json& message, std::string accept = accept_both) {
  Headers headers{{"Accept", std::move(accept)},
                  {"Content-Type", "application/json"},
                  {"MCP-Protocol-Version", modern_revision},
                  {"Mcp-Method", message.value("method", "")}};
  const std::string method = message.value("method", "");
  const json& params = message.contains("params") ? message["params"] : json::object();
  if ((method == "tools/call" || method == "prompts/get") && params.contains("name"))
    headers.emplace_back("Mcp-Name", params["name"].get<std::string>());
  if (method == "resources/read" && params.contains("uri"))
    headers.emplace_back("Mcp-Name", params["uri"].get<std::string>());
  return headers;
}

inline Exchange modern_post(int port, const json& message) {
  return exchange(port, "POST", "/mcp", modern_headers(message), message.dump());
}

inline Exchange modern_post(int port, const json& message, const Headers& headers) {
  return exchange(port, "POST", "/mcp", headers, message.dump());
}

// Headers with one replaced (or removed, when `value` is empty), case-insensitively.
inline Headers with_header(Headers headers, std::string_view name, std::string value) {
  const std::string wanted = lower(name);
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return lower(h.first) == wanted; }),
                headers.end());
  if (!value.empty()) headers.emplace_back(std::string(name), std::move(value));
  return headers;
}

}  // namespace itest
