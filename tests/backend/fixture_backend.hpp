// FixtureBackend: a scriptable stand-in for the Archon REST server, for tests.
//
// An httplib::Server on 127.0.0.1 with an ephemeral port, running on its own thread from
// construction to destruction. It records every request and answers each one with whatever the
// test's handler returns. Every accepted TCP connection gets its own thread (no fixed pool, so
// 32 slow concurrent requests are served in parallel) and is counted.
//
//   using namespace std::chrono_literals;
//   mcpgate::test::FixtureBackend fx;                       // listening at once
//   fx.on([](const mcpgate::test::RecordedRequest& req) {
//     if (req.path == "/api/projects") return mcpgate::test::FixtureReply{200, R"({"projects":[]})"};
//     return mcpgate::test::FixtureReply{404, R"({"detail":{"error":"not found"}})", "application/json", 0ms};
//   });
//   mcpgate::backend::HttpBackend api(fx.url());           // "http://127.0.0.1:<port>"
//   ...
//   CHECK(fx.requests().at(0).method == "GET");
//   CHECK(fx.connections() == 1);
//
// Without a handler every request gets 200 `{}`. A handler that throws gets a 500 with the
// exception text as a plain-text body. Handlers run on the connection threads, several at once:
// make them thread-safe (the usual lambda that only reads its captures is).
//
// Destruction stops listening, sends replies still inside their `delay` at once and joins every
// thread. A connection the client keeps open idle ends within 1 s (the fixture's keep-alive
// timeout), so declare the client (HttpBackend, ...) after the fixture: it is destroyed first,
// closes its connections, and the fixture then stops at once. The same 1 s means calls more than
// a second apart may use a new connection.
#pragma once

#include "mcpgate/server/httplib_compat.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace mcpgate::test {

// One request as the fixture received it.
struct RecordedRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // the request-target exactly as sent: "/api/tasks?q=a%20b&page=1"
  std::string path;     // the path, percent-decoded: "/api/tasks"
  std::vector<std::pair<std::string, std::string>> query;  // in order, decoded (%XX, '+' = ' ')
  std::string body;     // raw body ("" when none)
  httplib::Headers headers;  // names compare case-insensitively; httplib adds REMOTE_ADDR/PORT
  int remote_port = -1;      // the client's port: identifies the TCP connection

  // The first value of a header, or "" when absent.
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  [[nodiscard]] bool has_header(const std::string& name) const {
    return headers.find(name) != headers.end();
  }
  // The first value of a query parameter, if present.
  [[nodiscard]] std::optional<std::string> param(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
  // The body parsed as JSON (throws nlohmann::json::parse_error when it is not JSON).
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// The answer to one request.
struct FixtureReply {
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // wait this long before answering (cut short on stop)
  httplib::Headers headers{};          // extra response headers
};

using FixtureHandler = std::function<FixtureReply(const RecordedRequest&)>;

namespace fixture_detail {

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form-style decoding of one query key or value: %XX and '+' (as a space).
inline std::string decode_query_part(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::vector<std::pair<std::string, std::string>> parse_query(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto question = target.find('?');
  if (question == std::string_view::npos) return out;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    if (!item.empty()) {
      const auto eq = item.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(decode_query_part(item), std::string());
      } else {
        out.emplace_back(decode_query_part(item.substr(0, eq)),
                         decode_query_part(item.substr(eq + 1)));
      }
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

// A thread per accepted connection (httplib 0.11.4's default is a fixed pool of 8, which would
// serialise concurrent slow requests); counts connections; joins every thread on shutdown.
class ThreadPerConnection : public httplib::TaskQueue {
 public:
  explicit ThreadPerConnection(std::atomic<std::size_t>& accepted) : accepted_(accepted) {}
  ~ThreadPerConnection() override { shutdown(); }

  server::httplib_compat::EnqueueResult enqueue(std::function<void()> fn) override {
    accepted_.fetch_add(1);
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::move(fn));
    return server::httplib_compat::enqueued();
  }

  void shutdown() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<std::size_t>& accepted_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

}  // namespace fixture_detail

class FixtureBackend {
 public:
  // Starts listening on 127.0.0.1 (ephemeral port, or `port` when given: a backend that comes
  // back where it was); throws std::runtime_error if it cannot.
  FixtureBackend() : FixtureBackend(FixtureHandler{}) {}
  explicit FixtureBackend(FixtureHandler handler, int port = 0) : handler_(std::move(handler)) {
    svr_.new_task_queue = [this] { return new fixture_detail::ThreadPerConnection(accepted_); };
    svr_.set_tcp_nodelay(true);
    svr_.set_keep_alive_max_count(100000);  // 0.11.4 closes after 5 requests by default
    // Idle keep-alive connections end after 1 s. httplib 0.11.4 has no way to end them on stop
    // (the accepted sockets are not exposed), so this bounds how long destruction can wait.
    svr_.set_keep_alive_timeout(1);
    // httplib calls this on the socket it binds and listens on: kept for the backlog below.
    svr_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listening_ = sock;
    });
    auto route = [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); };
    svr_.Get(".*", route);
    svr_.Post(".*", route);
    svr_.Put(".*", route);
    svr_.Patch(".*", route);
    svr_.Delete(".*", route);
    svr_.Options(".*", route);
    port_ = port == 0 ? svr_.bind_to_any_port("127.0.0.1")
                      : (svr_.bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) throw std::runtime_error("FixtureBackend: cannot listen on 127.0.0.1");
    // A real listen backlog (httplib's is 5, too few for 32 concurrent connects: the rest would
    // wait out a 1 s SYN retransmit).
    ::listen(listening_, 1024);
    listener_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() is a no-op until listen_after_bind() has marked the server running.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!svr_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  ~FixtureBackend() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    svr_.stop();
    if (listener_.joinable()) listener_.join();
  }

  FixtureBackend(const FixtureBackend&) = delete;
  FixtureBackend& operator=(const FixtureBackend&) = delete;

  // Sets how requests are answered from now on (an empty handler: 200 `{}`).
  void on(FixtureHandler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }

  // "http://127.0.0.1:<port>"
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const noexcept { return port_; }

  // Every request received so far, in arrival order (recorded before the handler runs).
  [[nodiscard]] std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  // The most recent request; throws std::logic_error when there is none.
  [[nodiscard]] RecordedRequest last_request() const {
    std::lock_guard lock(mutex_);
    if (requests_.empty()) throw std::logic_error("FixtureBackend: no request received");
    return requests_.back();
  }
  // Waits until at least `n` requests have arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  // Forgets the recorded requests (the connection count is kept).
  void clear() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

  // TCP connections accepted so far.
  [[nodiscard]] std::size_t connections() const noexcept { return accepted_.load(); }

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    RecordedRequest rec;
    rec.method = req.method;
    rec.target = req.target;
    rec.path = req.path;
    rec.query = fixture_detail::parse_query(req.target);
    rec.body = req.body;
    rec.headers = req.headers;
    rec.remote_port = req.remote_port;

    FixtureHandler handler;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(rec);
      handler = handler_;
    }
    arrived_.notify_all();

    FixtureReply reply;
    if (handler) {
      try {
        reply = handler(rec);
      } catch (const std::exception& e) {
        reply = FixtureReply{500, std::string("fixture handler threw: ") + e.what(), "text/plain"};
      } catch (...) {
        reply = FixtureReply{500, "fixture handler threw", "text/plain"};
      }
    }
    if (reply.delay.count() > 0) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, reply.delay, [&] { return stopping_; });
    }
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
    res.set_content(reply.body, reply.content_type.c_str());
  }

  httplib::Server svr_;
  socket_t listening_ = INVALID_SOCKET;  // svr_'s listening socket
  int port_ = -1;
  std::thread listener_;
  std::atomic<std::size_t> accepted_{0};

  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::condition_variable wake_;
  bool stopping_ = false;
  FixtureHandler handler_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace mcpgate::test
