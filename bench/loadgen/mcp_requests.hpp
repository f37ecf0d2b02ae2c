// What the load generator says to an MCP server: whole HTTP requests carrying JSON-RPC
// messages, a blocking fetch for set-up steps, and the server-side readings a workload reports
// (its /health, the RSS of its process).
#pragma once

#include "http_client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

using json = nlohmann::json;

// The protocol revision the load generator negotiates: one that every server compared speaks
// the same way (no priming events), so both answer the same bytes.
inline constexpr const char* protocol_version = "2025-06-18";
// The stateless revision: every request carries its version and capabilities in params._meta
// and the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers; there is no session.
inline constexpr const char* modern_protocol_version = "2026-07-28";

std::string post_request(const Url& url, std::string_view path, std::string_view body,
                         std::string_view session_id = {});
// A modern-era (2026-07-28) tools/call POST of `tool`: no session, the headers the revision
// requires.
std::string modern_post_request(const Url& url, std::string_view path, std::string_view body,
                                std::string_view tool);
std::string get_request(const Url& url, std::string_view path, std::string_view accept = "*/*");

std::string initialize_body(const json& id);
std::string initialized_body();
std::string tool_call_body(const json& id, std::string_view tool, const json& arguments);
// The same call with the modern per-request _meta (version, client capabilities, client info).
std::string modern_tool_call_body(const json& id, std::string_view tool, const json& arguments);

// One request on a connection of its own, run to completion on a private loop.
struct Fetched {
  Response response;
  std::vector<SseEvent> events;  // when the answer was an event stream
  std::string error;             // empty on success
};
Fetched fetch(const Url& url, const std::string& request, std::chrono::milliseconds timeout);

// The JSON-RPC message an answer carries: the body of a JSON answer, or the first event of an
// event stream whose data is a response (has "result" or "error"). nullopt when there is none.
std::optional<json> rpc_message(const Fetched& fetched);

// The top-level members of a JSON-RPC message that a workload checks, found by a scan that skips
// nested values without building them: the load generator must stay cheap next to the server
// it measures (a full parse of every answer cost it a third of its CPU). nullopt when `text` is
// not one well-formed JSON object at its top level (nested values are only skipped).
struct RpcHead {
  std::optional<long long> id;  // when "id" is an integer
  bool has_result = false;
  bool has_error = false;
};
std::optional<RpcHead> rpc_head(std::string_view text);

// Starts a Streamable HTTP session (initialize + notifications/initialized); its id.
// Throws std::runtime_error saying what went wrong.
std::string start_session(const Url& url);

// The server's own view, from GET /health: open sessions and initialisation runs (both
// mcpgate's and the peer's shapes are understood). nullopt when /health does not answer.
struct ServerHealth {
  long long sessions = 0;
  long long init_runs = 0;
};
std::optional<ServerHealth> server_health(const Url& url);

// Resident set size of process `pid`, in bytes (0 when it cannot be read).
long long rss_bytes(int pid);

}  // namespace loadgen
