#include "mcp_requests.hpp"

#include <fstream>
#include <stdexcept>

namespace loadgen {

std::string post_request(const Url& url, std::string_view path, std::string_view body,
                         std::string_view session_id) {
  std::string out;
  out.reserve(256 + body.size());
  out.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(url.host_header);
  out.append("\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n");
  if (!session_id.empty()) {
    out.append("Mcp-Session-Id: ").append(session_id).append("\r\n");
    out.append("MCP-Protocol-Version: ").append(protocol_version).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

std::string modern_post_request(const Url& url, std::string_view path, std::string_view body,
                                std::string_view tool) {
  std::string out;
  out.reserve(320 + body.size());
  out.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(url.host_header);
  out.append("\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n");
  out.append("MCP-Protocol-Version: ").append(modern_protocol_version).append("\r\n");
  out.append("Mcp-Method: tools/call\r\nMcp-Name: ").append(tool).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

std::string get_request(const Url& url, std::string_view path, std::string_view accept) {
  std::string out;
  out.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(url.host_header);
  out.append("\r\nAccept: ").append(accept).append("\r\n\r\n");
  return out;
}

std::string initialize_body(const json& id) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", protocol_version},
                {"capabilities", json::object()},
                {"clientInfo", {{"name", "mcpgate-loadgen"}, {"version", "1"}}}}}}
      .dump();
}

std::string initialized_body() {
  return R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
}

std::string tool_call_body(const json& id, std::string_view tool, const json& arguments) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "tools/call"},
              {"params", {{"name", tool}, {"arguments", arguments}}}}
      .dump();
}

std::string modern_tool_call_body(const json& id, std::string_view tool, const json& arguments) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "tools/call"},
              {"params",
               {{"name", tool},
                {"arguments", arguments},
                {"_meta",
                 {{"io.modelcontextprotocol/protocolVersion", modern_protocol_version},
                  {"io.modelcontextprotocol/clientCapabilities", json::object()},
                  {"io.modelcontextprotocol/clientInfo", {{"name", "mcpgate-loadgen"}, {"version", "1"}}}}}}}}
      .dump();
}

Fetched fetch(const Url& url, const std::string& request, std::chrono::milliseconds timeout) {
  Fetched out;
  Loop loop;
  bool finished = false;
  Connection connection(loop, url.address,
                        Connection::Handlers{
                            nullptr,
                            [&](const SseEvent& event) { out.events.push_back(event); },
                            [&](Response& response) {
                              out.response = std::move(response);
                              finished = true;
                            },
                            [&](const std::string& why) {
                              out.error = why;
                              finished = true;
                            },
                        });
  connection.send(request);
  if (!loop.run_until([&] { return finished; }, Clock::now() + timeout))
    out.error = "no answer within " + std::to_string(timeout.count()) + " ms";
  return out;
}

std::optional<json> rpc_message(const Fetched& fetched) {
  auto is_response = [](const json& j) {
    return j.is_object() && (j.contains("result") || j.contains("error"));
  };
  if (!fetched.events.empty()) {
    for (const auto& event : fetched.events) {
      if (event.data.empty()) continue;
      auto j = json::parse(event.data, nullptr, false);
      if (is_response(j)) return j;
    }
    return std::nullopt;
  }
  auto j = json::parse(fetched.response.body, nullptr, false);
  if (is_response(j)) return j;
  return std::nullopt;
}

std::string start_session(const Url& url) {
  using namespace std::chrono_literals;
  const auto init = fetch(url, post_request(url, url.path, initialize_body(1)), 10s);
  if (!init.error.empty()) throw std::runtime_error("initialize: " + init.error);
  if (init.response.status != 200)
    throw std::runtime_error("initialize: HTTP " + std::to_string(init.response.status));
  const std::string session(init.response.header("Mcp-Session-Id"));
  if (session.empty()) throw std::runtime_error("initialize: no Mcp-Session-Id in the answer");
  const auto message = rpc_message(init);
  if (!message || !message->contains("result"))
    throw std::runtime_error("initialize: no result in the answer");
  const auto done = fetch(url, post_request(url, url.path, initialized_body(), session), 10s);
  if (!done.error.empty() || done.response.status / 100 != 2)
    throw std::runtime_error("notifications/initialized: " +
                             (done.error.empty() ? "HTTP " + std::to_string(done.response.status)
                                                 : done.error));
  return session;
}

std::optional<ServerHealth> server_health(const Url& url) {
  using namespace std::chrono_literals;
  const auto got = fetch(url, get_request(url, "/health", "application/json"), 5s);
  if (!got.error.empty() || got.response.status == 0) return std::nullopt;
  const auto body = json::parse(got.response.body, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  ServerHealth health;
  if (body.contains("sessions") && body["sessions"].is_object())
    health.sessions = body["sessions"].value("total", 0LL);
  if (body.contains("initialization") && body["initialization"].is_object())
    health.init_runs = body["initialization"].value("runs", 0LL);  // mcpgate
  else
    health.init_runs = body.value("init_runs", 0LL);  // the TypeScript peer
  return health;
}

long long rss_bytes(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace loadgen
