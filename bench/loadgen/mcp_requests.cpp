#include "mcp_requests.hpp"

#include <charconv>

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

namespace {

std::size_t skip_space(std::string_view text, std::size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
    ++at;
  return at;
}

// Past the string starting at `at` (its opening quote); npos when it does not end.
std::size_t skip_string(std::string_view text, std::size_t at) {
  for (++at; at < text.size(); ++at) {
    if (text[at] == '\\') {
      ++at;
    } else if (text[at] == '"') {
      return at + 1;
    }
  }
  return std::string_view::npos;
}

// Past the value starting at `at`: a string, an object or array (brackets counted, strings
// skipped), or a scalar up to the next delimiter. npos when it does not end.
std::size_t skip_value(std::string_view text, std::size_t at) {
  if (at >= text.size()) return std::string_view::npos;
  if (text[at] == '"') return skip_string(text, at);
  if (text[at] == '{' || text[at] == '[') {
    int depth = 0;
    while (at < text.size()) {
      const char c = text[at];
      if (c == '"') {
        at = skip_string(text, at);
        if (at == std::string_view::npos) return at;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return at + 1;
      ++at;
    }
    return std::string_view::npos;
  }
  const auto end = text.find_first_of(",}] \t\r\n", at);
  return end == at ? std::string_view::npos : (end == std::string_view::npos ? text.size() : end);
}

}  // namespace

std::optional<RpcHead> rpc_head(std::string_view text) {
  RpcHead head;
  std::size_t at = skip_space(text, 0);
  if (at >= text.size() || text[at] != '{') return std::nullopt;
  at = skip_space(text, at + 1);
  if (at < text.size() && text[at] == '}') return skip_space(text, at + 1) == text.size() ? std::optional(head) : std::nullopt;
  for (;;) {
    if (at >= text.size() || text[at] != '"') return std::nullopt;
    const auto key_end = skip_string(text, at);
    if (key_end == std::string_view::npos) return std::nullopt;
    const auto key = text.substr(at + 1, key_end - at - 2);
    at = skip_space(text, key_end);
    if (at >= text.size() || text[at] != ':') return std::nullopt;
    at = skip_space(text, at + 1);
    const auto value_end = skip_value(text, at);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (key == "id") {
      long long id = 0;
      const auto* first = text.data() + at;
      const auto* last = text.data() + value_end;
      if (auto [ptr, ec] = std::from_chars(first, last, id); ec == std::errc() && ptr == last) head.id = id;
    } else if (key == "result") {
      head.has_result = true;
    } else if (key == "error") {
      head.has_error = true;
    }
    at = skip_space(text, value_end);
    if (at >= text.size()) return std::nullopt;
    if (text[at] == '}') return skip_space(text, at + 1) == text.size() ? std::optional(head) : std::nullopt;
    if (text[at] != ',') return std::nullopt;
    at = skip_space(text, at + 1);
  }
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
