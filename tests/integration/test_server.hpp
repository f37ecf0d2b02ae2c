// Integration-test support: a real mcpgate server in-process on 127.0.0.1 with an ephemeral
// port (TestServer), a raw-socket HTTP/1.1 client that parses chunked SSE responses
// incrementally with bounded waits (RawHttp), and small helpers for MCP messages.
//
// Every wait in here has a deadline: a stuck server makes a test fail, never hang.
#pragma once

#include "mcpgate/config.hpp"
#include "mcpgate/server/app.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace itest {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Under ThreadSanitizer everything runs 5-15x slower: latency bounds (not correctness checks)
// are multiplied by this.
#if defined(__SANITIZE_THREAD__)
inline constexpr int time_scale = 4;
#else
inline constexpr int time_scale = 1;
#endif

// Under AddressSanitizer freed memory waits in a quarantine (256 MiB) before it is reused, so
// the process's RSS says nothing about what the server holds: bounds on RSS are checked only in
// builds without it.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool rss_is_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif
#else
inline constexpr bool rss_is_meaningful = true;
#endif

// The generous bound on any single wait for the server.
inline constexpr std::chrono::milliseconds io_timeout{10000};

inline constexpr const char* latest = "2025-11-25";
inline constexpr const char* accept_both = "application/json, text/event-stream";

inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

inline void quiet_logs() {
  const char* level = std::getenv("MCPGATE_TEST_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::err);
}

inline mcpgate::Config test_config() {
  mcpgate::Config config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.conformance_fixtures = true;
  config.log_level = "error";
  return config;
}

// ---------------------------------------------------------------------------------------------
// TestServer: App on an ephemeral port, run() on its own thread, stop()+join in the destructor.
// ---------------------------------------------------------------------------------------------
class TestServer {
 public:
  explicit TestServer(mcpgate::Config config = test_config()) {
    quiet_logs();
    config.host = "127.0.0.1";
    config.port = 0;
    app_ = std::make_unique<mcpgate::server::App>(std::move(config));
    port_ = app_->bind();
    REQUIRE(port_ > 0);
    done_ = done_promise_.get_future();
    thread_ = std::thread([this] {
      app_->run();
      done_promise_.set_value();
    });
  }

  ~TestServer() { stop(); }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // App::stop() and wait for run() to return (bounded). Returns how long that took.
  std::chrono::milliseconds stop() {
    if (!thread_.joinable()) return stop_took_;
    const auto start = Clock::now();
    app_->stop();
    if (done_.wait_for(io_timeout * time_scale) != std::future_status::ready) {
      std::fprintf(stderr,
                   "FATAL: App::run() did not return within %lld ms of App::stop(); aborting "
                   "instead of hanging\n",
                   static_cast<long long>((io_timeout * time_scale).count()));
      std::fflush(stderr);
      std::abort();
    }
    thread_.join();
    stop_took_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return stop_took_;
  }

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] mcpgate::server::App& app() noexcept { return *app_; }

  [[nodiscard]] std::unique_ptr<httplib::Client> client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_connection_timeout(5, 0);
    client->set_read_timeout(10 * time_scale, 0);
    client->set_write_timeout(5, 0);
    return client;
  }

 private:
  std::unique_ptr<mcpgate::server::App> app_;
  int port_ = -1;
  std::promise<void> done_promise_;
  std::future<void> done_;
  std::thread thread_;
  std::chrono::milliseconds stop_took_{0};
};

// ---------------------------------------------------------------------------------------------
// SSE events and a raw HTTP/1.1 connection that decodes chunked bodies incrementally.
// ---------------------------------------------------------------------------------------------
struct SseEvent {
  std::string event;  // "" when no event: field
  std::string id;
  std::string data;  // data lines joined with '\n'
  std::optional<long> retry;
  bool has_id = false;
  bool has_data = false;
  std::vector<std::string> comments;  // ": ping" -> "ping"

  [[nodiscard]] bool comment_only() const {
    return !has_id && !has_data && event.empty() && !retry && !comments.empty();
  }
  // 2025-11-25 priming event: an id and empty data, no event name.
  [[nodiscard]] bool priming() const { return has_id && has_data && data.empty() && event.empty(); }
  [[nodiscard]] bool message() const { return has_data && !data.empty(); }
  [[nodiscard]] json payload() const { return json::parse(data, nullptr, false); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class RawHttp {
 public:
  explicit RawHttp(int port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) close();
  }
  ~RawHttp() { close(); }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_request(std::string_view method, std::string_view target, const Headers& headers,
                    std::string_view body = {}) {
    std::string out;
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    // Our own Host unless the caller sends one (or several) of its own.
    if (std::none_of(headers.begin(), headers.end(), [](const auto& h) { return lower(h.first) == "host"; }))
      out.append("Host: 127.0.0.1:").append(std::to_string(port_)).append("\r\n");
    bool has_length = false;
    for (const auto& [name, value] : headers) {
      out.append(name).append(": ").append(value).append("\r\n");
      if (lower(name) == "content-length") has_length = true;
    }
    if (!has_length && (!body.empty() || method == "POST"))
      out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append("\r\n").append(body);
    return send_all(out);
  }

  bool send_all(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return bytes.empty();
  }

  // Status line and headers. False on timeout or a closed connection.
  bool read_head(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto end = raw_.find("\r\n\r\n");
      if (end != std::string::npos) {
        parse_head(raw_.substr(0, end));
        raw_.erase(0, end + 4);
        head_done_ = true;
        decode();
        return status_ > 0;
      }
      if (!fill(deadline)) return false;
    }
  }

  // An interim (1xx) answer's status line, e.g. "100 Continue" before a request body: read
  // without taking what follows for a body. Its status, or 0 on timeout or another answer.
  int read_interim_head(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto end = raw_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::string head = raw_.substr(0, end);
        const auto sp = head.find(' ');
        const int status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
        if (status < 100 || status >= 200) return 0;
        raw_.erase(0, end + 4);
        return status;
      }
      if (!fill(deadline)) return 0;
    }
  }

  [[nodiscard]] int status() const noexcept { return status_; }
  [[nodiscard]] const Headers& headers() const noexcept { return headers_; }
  [[nodiscard]] std::string header(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers_)
      if (lower(key) == wanted) return value;
    return {};
  }
  [[nodiscard]] std::size_t header_count(std::string_view name) const {
    const std::string wanted = lower(name);
    return static_cast<std::size_t>(std::count_if(
        headers_.begin(), headers_.end(), [&](const auto& kv) { return lower(kv.first) == wanted; }));
  }

  // The next SSE block (an event, or a block of comments). nullopt when the body ended, the
  // connection closed, or the timeout passed (see timed_out()).
  std::optional<SseEvent> next_event(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    timed_out_ = false;
    for (;;) {
      if (auto event = take_event()) return event;
      if (body_ended_ || peer_closed_) return std::nullopt;
      if (!fill(deadline)) {
        if (!peer_closed_) timed_out_ = true;
        return std::nullopt;
      }
    }
  }

  // The next event that carries a JSON-RPC message (skips comments and priming events).
  std::optional<json> next_message(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out_ = true;
        return std::nullopt;
      }
      auto event = next_event(left);
      if (!event) return std::nullopt;
      if (event->message()) return event->payload();
    }
  }

  // Every remaining event until the body ends (bounded).
  std::vector<SseEvent> read_all_events(std::chrono::milliseconds timeout = io_timeout) {
    std::vector<SseEvent> events;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out_ = true;
        break;
      }
      auto event = next_event(left);
      if (!event) break;
      events.push_back(std::move(*event));
    }
    return events;
  }

  // The rest of a non-SSE body (bounded).
  std::string read_body(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!body_ended_ && !peer_closed_)
      if (!fill(deadline)) break;
    std::string out;
    out.swap(body_);
    return out;
  }

  // The response body ended properly (last chunk, or Content-Length reached).
  [[nodiscard]] bool body_ended() const noexcept { return body_ended_; }
  // The server closed the connection.
  [[nodiscard]] bool peer_closed() const noexcept { return peer_closed_; }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

  // Wait (bounded) until the server closes the connection; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!peer_closed_)
      if (!fill(deadline)) return peer_closed_;
    return true;
  }

 private:
  bool fill(Clock::time_point deadline) {
    if (fd_ < 0) {
      peer_closed_ = true;
      return false;
    }
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return false;
      if (ready == 0) continue;
      char buffer[16384];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        peer_closed_ = true;
        if (!chunked_ && !content_length_ && head_done_) body_ended_ = true;  // close-delimited
        return false;
      }
      raw_.append(buffer, static_cast<std::size_t>(n));
      if (head_done_) decode();
      return true;
    }
  }

  void parse_head(const std::string& head) {
    std::size_t pos = head.find("\r\n");
    const std::string status_line = head.substr(0, pos);
    // "HTTP/1.1 200 OK"
    const auto sp = status_line.find(' ');
    if (sp != std::string::npos) status_ = std::atoi(status_line.c_str() + sp + 1);
    while (pos != std::string::npos) {
      const std::size_t start = pos + 2;
      pos = head.find("\r\n", start);
      const std::string line = head.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.pop_back();
      headers_.emplace_back(line.substr(0, colon), value);
    }
    chunked_ = lower(header("Transfer-Encoding")).find("chunked") != std::string::npos;
    const std::string length = header("Content-Length");
    if (!chunked_ && !length.empty()) content_length_ = std::strtoull(length.c_str(), nullptr, 10);
    if (content_length_ && *content_length_ == 0) body_ended_ = true;
  }

  // Move decoded body bytes from raw_ to body_.
  void decode() {
    if (body_ended_) return;
    if (!chunked_) {
      if (content_length_) {
        const std::size_t take = std::min<std::size_t>(raw_.size(), *content_length_ - received_);
        body_.append(raw_, 0, take);
        raw_.erase(0, take);
        received_ += take;
        if (received_ >= *content_length_) body_ended_ = true;
      } else {
        body_ += raw_;
        raw_.clear();
      }
      return;
    }
    for (;;) {
      if (chunk_left_ == 0) {
        if (need_crlf_) {
          if (raw_.size() < 2) return;
          raw_.erase(0, 2);
          need_crlf_ = false;
        }
        const auto eol = raw_.find("\r\n");
        if (eol == std::string::npos) return;
        const std::size_t size = std::strtoull(raw_.substr(0, eol).c_str(), nullptr, 16);
        raw_.erase(0, eol + 2);
        if (size == 0) {
          body_ended_ = true;
          return;
        }
        chunk_left_ = size;
      }
      if (raw_.empty()) return;
      const std::size_t take = std::min(chunk_left_, raw_.size());
      body_.append(raw_, 0, take);
      raw_.erase(0, take);
      chunk_left_ -= take;
      if (chunk_left_ == 0) need_crlf_ = true;
    }
  }

  std::optional<SseEvent> take_event() {
    // Blocks end with a blank line; the server writes LF line ends.
    std::size_t end = body_.find("\n\n");
    std::size_t sep = 2;
    const std::size_t crlf = body_.find("\r\n\r\n");
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
      end = crlf;
      sep = 4;
    }
    if (end == std::string::npos) return std::nullopt;
    std::string block = body_.substr(0, end);
    body_.erase(0, end + sep);
    SseEvent event;
    std::size_t start = 0;
    while (start <= block.size()) {
      std::size_t eol = block.find('\n', start);
      if (eol == std::string::npos) eol = block.size();
      std::string line = block.substr(start, eol - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      start = eol + 1;
      if (line.empty()) continue;
      if (line.front() == ':') {
        std::string text = line.substr(1);
        if (!text.empty() && text.front() == ' ') text.erase(0, 1);
        event.comments.push_back(text);
        continue;
      }
      const auto colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? std::string() : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (field == "event") {
        event.event = value;
      } else if (field == "id") {
        event.id = value;
        event.has_id = true;
      } else if (field == "data") {
        if (event.has_data) event.data += '\n';
        event.data += value;
        event.has_data = true;
      } else if (field == "retry") {
        event.retry = std::strtol(value.c_str(), nullptr, 10);
      }
    }
    return event;
  }

  int port_;
  int fd_ = -1;
  std::string raw_;   // undecoded bytes
  std::string body_;  // decoded, not yet consumed
  bool head_done_ = false;
  int status_ = 0;
  Headers headers_;
  bool chunked_ = false;
  std::optional<std::size_t> content_length_;
  std::size_t received_ = 0;
  std::size_t chunk_left_ = 0;
  bool need_crlf_ = false;
  bool body_ended_ = false;
  bool peer_closed_ = false;
  bool timed_out_ = false;
};

// ---------------------------------------------------------------------------------------------
// MCP message helpers.
// ---------------------------------------------------------------------------------------------
inline json rpc_request(const json& id, std::string_view method, json params = nullptr) {
  json message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

inline json rpc_notification(std::string_view method, json params = nullptr) {
  json message{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

inline json initialize_request(const json& id, std::string_view version,
                               json capabilities = json::object()) {
  return rpc_request(id, "initialize",
                     {{"protocolVersion", version},
                      {"capabilities", std::move(capabilities)},
                      {"clientInfo", {{"name", "mcpgate-integration-test"}, {"version", "1.0"}}}});
}

inline json tool_call(const json& id, std::string_view name, json arguments = json::object()) {
  return rpc_request(id, "tools/call", {{"name", name}, {"arguments", std::move(arguments)}});
}

// Session ids: 22+ characters of the URL-safe alphabet.
inline bool url_safe_session_id(const std::string& id) {
  static const std::regex pattern("^[A-Za-z0-9_-]{22,}$");
  return std::regex_match(id, pattern);
}

// The JSON-RPC error code of a body, or 0.
inline int error_code(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return 0;
  return body["error"].value("code", 0);
}
inline std::string error_message(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return {};
  return body["error"].value("message", std::string());
}

// The first text content of a tools/call result.
inline std::string result_text(const json& response) {
  if (!response.contains("result")) return {};
  const auto& result = response["result"];
  if (!result.contains("content") || !result["content"].is_array()) return {};
  for (const auto& item : result["content"])
    if (item.value("type", "") == "text") return item.value("text", "");
  return {};
}

// Headers for a Streamable HTTP request.
inline Headers mcp_headers(const std::string& session, const std::string& version,
                           std::string accept = accept_both) {
  Headers headers{{"Accept", std::move(accept)}, {"Content-Type", "application/json"}};
  if (!session.empty()) headers.emplace_back("Mcp-Session-Id", session);
  if (!version.empty()) headers.emplace_back("MCP-Protocol-Version", version);
  return headers;
}

inline httplib::Headers to_httplib(const Headers& headers) {
  httplib::Headers out;
  for (const auto& [name, value] : headers)
    if (lower(name) != "content-type") out.emplace(name, value);
  return out;
}

// A whole Streamable HTTP exchange over a raw connection: head, then either every SSE event
// until the stream ends or the JSON body.
struct Exchange {
  bool ok = false;  // a response head arrived
  int status = 0;
  Headers headers;
  std::string content_type;
  std::vector<SseEvent> events;  // SSE
  std::string body;              // non-SSE
  bool ended = false;            // the body ended properly
  bool peer_closed = false;

  [[nodiscard]] std::string header(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers)
      if (lower(key) == wanted) return value;
    return {};
  }
  [[nodiscard]] json json_body() const { return json::parse(body, nullptr, false); }
  [[nodiscard]] std::vector<json> messages() const {
    std::vector<json> out;
    for (const auto& event : events)
      if (event.message()) out.push_back(event.payload());
    return out;
  }
  // The JSON-RPC response with this id, from the SSE events or the JSON body.
  [[nodiscard]] std::optional<json> response(const json& id) const {
    for (const auto& message : messages())
      if (message.contains("id") && message["id"] == id && !message.contains("method"))
        return message;
    const json parsed = json_body();
    if (parsed.is_object() && parsed.contains("id") && parsed["id"] == id) return parsed;
    if (parsed.is_array())
      for (const auto& item : parsed)
        if (item.contains("id") && item["id"] == id) return item;
    return std::nullopt;
  }
};

inline Exchange exchange(int port, std::string_view method, std::string_view target,
                         const Headers& headers, std::string_view body = {},
                         std::chrono::milliseconds timeout = io_timeout) {
  Exchange out;
  RawHttp http(port);
  if (!http.connected() || !http.send_request(method, target, headers, body)) return out;
  if (!http.read_head(timeout)) return out;
  out.ok = true;
  out.status = http.status();
  out.headers = http.headers();
  out.content_type = http.header("Content-Type");
  if (out.content_type.rfind("text/event-stream", 0) == 0)
    out.events = http.read_all_events(timeout);
  else
    out.body = http.read_body(timeout);
  out.ended = http.body_ended();
  out.peer_closed = http.peer_closed();
  return out;
}

inline Exchange mcp_post(int port, const std::string& session, const json& message,
                         const std::string& version = latest) {
  return exchange(port, "POST", "/mcp", mcp_headers(session, version), message.dump());
}

// initialize (+ notifications/initialized) over Streamable HTTP; returns the session id.
inline std::string open_session(int port, std::string_view version = latest,
                                json capabilities = json::object()) {
  const auto init = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                             initialize_request(1, version, std::move(capabilities)).dump());
  REQUIRE(init.ok);
  REQUIRE(init.status == 200);
  const std::string session = init.header("Mcp-Session-Id");
  REQUIRE(!session.empty());
  const auto response = init.response(1);
  REQUIRE(response.has_value());
  REQUIRE(response->contains("result"));
  const auto ready = exchange(port, "POST", "/mcp", mcp_headers(session, std::string(version)),
                              rpc_notification("notifications/initialized").dump());
  REQUIRE(ready.ok);
  REQUIRE(ready.status == 202);
  return session;
}

// A legacy SSE stream: GET /sse, the endpoint event read.
struct LegacyStream {
  std::unique_ptr<RawHttp> http;
  std::string endpoint;  // as sent, e.g. "messages?sessionId=..."
  std::string session_id;
  std::string post_target;  // resolved against /sse: "/messages?sessionId=..."
};

// Opens GET /sse and reads the endpoint event; `ok` false in the result when anything failed.
inline std::optional<LegacyStream> open_legacy(int port,
                                               std::chrono::milliseconds timeout = io_timeout) {
  LegacyStream stream;
  stream.http = std::make_unique<RawHttp>(port);
  if (!stream.http->connected()) return std::nullopt;
  if (!stream.http->send_request("GET", "/sse", {{"Accept", "text/event-stream"}})) return std::nullopt;
  if (!stream.http->read_head(timeout) || stream.http->status() != 200) return std::nullopt;
  auto event = stream.http->next_event(timeout);
  if (!event || event->event != "endpoint") return std::nullopt;
  stream.endpoint = event->data;
  const auto pos = stream.endpoint.find("sessionId=");
  if (pos == std::string::npos) return std::nullopt;
  stream.session_id = stream.endpoint.substr(pos + 10);
  // Relative to the stream URL /sse, whose directory is /.
  stream.post_target = "/" + stream.endpoint;
  return stream;
}

// A legacy session, initialised (initialize answered on its stream, then initialized sent);
// nullopt when any step fails.
inline std::optional<LegacyStream> open_initialised_legacy(int port) {
  auto stream = open_legacy(port);
  if (!stream) return std::nullopt;
  httplib::Client client("127.0.0.1", port);
  const auto init = client.Post(stream->post_target.c_str(),
                                initialize_request(1, "2024-11-05").dump(), "application/json");
  if (!init || init->status != 202 || !stream->http->next_message()) return std::nullopt;
  const auto ready = client.Post(stream->post_target.c_str(),
                                 rpc_notification("notifications/initialized").dump(),
                                 "application/json");
  if (!ready || ready->status != 202) return std::nullopt;
  return stream;
}

// A Streamable HTTP GET stream for a session.
inline std::unique_ptr<RawHttp> open_get_stream(int port, const std::string& session,
                                                const std::string& version = latest,
                                                Headers extra = {}) {
  auto http = std::make_unique<RawHttp>(port);
  Headers headers{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}};
  if (!version.empty()) headers.emplace_back("MCP-Protocol-Version", version);
  for (auto& header : extra) headers.push_back(std::move(header));
  if (!http->connected() || !http->send_request("GET", "/mcp", headers)) return http;
  http->read_head();
  return http;
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  return test_support::eventually(std::move(condition), timeout, 20ms);
}

// A response's body as JSON (null when there was no response or it is not JSON).
inline json body_of(const httplib::Result& res) {
  return res ? json::parse(res->body, nullptr, false) : json();
}

}  // namespace itest
