// HttpBackend against FixtureBackend (a real HTTP server on 127.0.0.1): what goes on the wire,
// what comes back, how transport failures are classified, connection reuse and concurrency.
// All traffic stays on loopback.
#include "fixture_backend.hpp"

#include "../eventually.hpp"
#include "mcpgate/backend/curl_global.hpp"
#include "mcpgate/backend/http_backend.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using mcpgate::backend::CurlGlobal;
using mcpgate::backend::HttpBackend;
using mcpgate::backend::HttpBackendOptions;
using mcpgate::backend::json;
using mcpgate::backend::Query;
using mcpgate::backend::Response;
using mcpgate::backend::Timeouts;
using mcpgate::backend::TransportError;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;
using Kind = TransportError::Kind;
using Clock = std::chrono::steady_clock;

namespace {

// The composition root owns libcurl's global state; here, the test program does.
const CurlGlobal curl_global;

// Under ThreadSanitizer everything runs several times slower: latency bounds are scaled.
#if defined(__SANITIZE_THREAD__)
constexpr int time_scale = 3;
#else
constexpr int time_scale = 1;
#endif

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Tests never go through a proxy, whatever the environment says.
HttpBackend make_backend(const std::string& url, Timeouts timeouts = {}) {
  HttpBackendOptions options;
  options.timeouts = timeouts;
  options.use_env_proxy = false;
  return HttpBackend(url, options);
}

// Runs `call`, which must throw TransportError; returns it.
template <typename F>
TransportError transport_error(F&& call) {
  try {
    call();
  } catch (const TransportError& e) {
    return e;
  }
  FAIL("expected a TransportError");
  return TransportError(Kind::request_error, "unreachable");
}

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::connect_timeout: return "connect_timeout";
    case Kind::read_timeout: return "read_timeout";
    case Kind::connection_error: return "connection_error";
    case Kind::request_error: return "request_error";
  }
  return "?";
}

// A port on 127.0.0.1 with nothing listening: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A listening socket on 127.0.0.1 (backlog 0) that never accepts, with its accept queue filled
// by our own connections, so that a further connect gets no SYN-ACK and stalls: a connect
// timeout produced without sending anything off this machine.
class StalledListener {
 public:
  StalledListener() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 0) != 0)
      return;
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < 16 && !stalled_; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) return;
      fillers_.push_back(fd);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) continue;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 300) == 0) stalled_ = true;  // no SYN-ACK: the queue is full
    }
  }
  ~StalledListener() {
    for (const int fd : fillers_) ::close(fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  StalledListener(const StalledListener&) = delete;
  StalledListener& operator=(const StalledListener&) = delete;

  [[nodiscard]] bool stalled() const { return stalled_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  bool stalled_ = false;
  std::vector<int> fillers_;
};

struct QuietLogs {
  QuietLogs() { spdlog::set_level(spdlog::level::warn); }
} const quiet_logs;

}  // namespace

TEST_CASE("a POST sends method, path, escaped query, JSON body and headers exactly") {
  FixtureBackend fx;
  auto api = make_backend(fx.url());
  const Query query{{"q", "a b&c=d"}, {"unicode", "h\xC3\xA9llo \xE2\x9C\x93"}, {"empty", ""},
                    {"plus", "1+1"}, {"slash/hash#", "x/y?z"}, {"q", "second"}};
  const json body{{"query", "login bug"}, {"match_count", 5}, {"nested", {{"k", json::array({1, "two"})}}}};

  const Response r = api.request("POST", "/api/rag/query", query, body, std::nullopt);
  CHECK(r.status == 200);
  REQUIRE(fx.request_count() == 1);
  const RecordedRequest req = fx.last_request();
  CHECK(req.method == "POST");
  CHECK(req.path == "/api/rag/query");
  CHECK(req.target ==
        "/api/rag/query?q=a%20b%26c%3Dd&unicode=h%C3%A9llo%20%E2%9C%93&empty=&plus=1%2B1"
        "&slash%2Fhash%23=x%2Fy%3Fz&q=second");
  CHECK(req.query == query);  // decoded again, same order, repeated keys kept
  CHECK(req.json() == body);
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.header("Accept") == "application/json");
  CHECK(req.header("Content-Length") == std::to_string(req.body.size()));
  CHECK_FALSE(req.has_header("Expect"));
  CHECK(req.header("User-Agent").rfind("mcpgate/", 0) == 0);
}

TEST_CASE("GET, PUT, PATCH, DELETE: method, no body unless given, Content-Length 0 on empty writes") {
  FixtureBackend fx;
  auto api = make_backend(fx.url());

  api.request("GET", "/api/projects", {{"include_content", "true"}}, nullptr, std::nullopt);
  auto req = fx.last_request();
  CHECK(req.method == "GET");
  CHECK(req.target == "/api/projects?include_content=true");
  CHECK(req.body.empty());
  CHECK_FALSE(req.has_header("Content-Type"));
  CHECK(req.header("Accept") == "application/json");

  api.request("get", "/api/projects", {}, nullptr, std::nullopt);
  CHECK(fx.last_request().method == "GET");
  CHECK(fx.last_request().target == "/api/projects");

  api.request("PUT", "/api/tasks/t-1", {}, json{{"status", "doing"}}, std::nullopt);
  req = fx.last_request();
  CHECK(req.method == "PUT");
  CHECK(req.json() == json{{"status", "doing"}});
  CHECK(req.header("Content-Type") == "application/json");

  api.request("PATCH", "/api/x", {}, json::object(), std::nullopt);
  CHECK(fx.last_request().method == "PATCH");
  CHECK(fx.last_request().body == "{}");

  api.request("DELETE", "/api/tasks/t-1", {}, nullptr, std::nullopt);
  req = fx.last_request();
  CHECK(req.method == "DELETE");
  CHECK(req.body.empty());
  CHECK_FALSE(req.has_header("Content-Type"));

  api.request("POST", "/api/projects/p/versions/docs/3/restore", {}, nullptr, std::nullopt);
  req = fx.last_request();
  CHECK(req.method == "POST");
  CHECK(req.body.empty());
  CHECK(req.header("Content-Length") == "0");
  CHECK_FALSE(req.has_header("Content-Type"));  // not curl's form-urlencoded default

  // JSON with invalid UTF-8 is sent with replacement characters, not an exception.
  api.request("POST", "/api/x", {}, json{{"bad", std::string("a\xFFz")}}, std::nullopt);
  CHECK(fx.last_request().json()["bad"] == "a\xEF\xBF\xBDz");
}

TEST_CASE("paths: characters not allowed in a path are escaped, %XX escapes kept") {
  FixtureBackend fx;
  auto api = make_backend(fx.url());
  api.request("GET", "/api/pages/by url/\xC3\xA9t\xC3\xA9?#x", {}, nullptr, std::nullopt);
  auto req = fx.last_request();
  CHECK(req.target == "/api/pages/by%20url/%C3%A9t%C3%A9%3F%23x");
  CHECK(req.path == "/api/pages/by url/\xC3\xA9t\xC3\xA9?#x");
  CHECK(req.query.empty());

  api.request("GET", "/api/projects/a%2Fb/docs/d:1@v", {{"k", "v"}}, nullptr, std::nullopt);
  req = fx.last_request();
  CHECK(req.target == "/api/projects/a%2Fb/docs/d:1@v?k=v");

  api.request("GET", "/api/x/100%", {}, nullptr, std::nullopt);  // a lone '%' is escaped
  CHECK(fx.last_request().target == "/api/x/100%25");
}

TEST_CASE("status and body come back for every HTTP answer") {
  FixtureBackend fx([](const RecordedRequest& req) {
    if (req.path == "/ok") return FixtureReply{200, R"({"success":true,"count":2})"};
    if (req.path == "/missing")
      return FixtureReply{404, R"({"detail":{"error":"Project p-1 not found"}})"};
    if (req.path == "/invalid") return FixtureReply{422, R"({"detail":"Query is required"})"};
    if (req.path == "/boom")
      return FixtureReply{500, "Internal Server Error", "text/plain"};
    if (req.path == "/html") return FixtureReply{200, "<html>not json</html>", "text/html"};
    if (req.path == "/empty") return FixtureReply{204, "", "application/json"};
    return FixtureReply{400, "{}"};
  });
  auto api = make_backend(fx.url());
  auto get = [&](const char* path) { return api.request("GET", path, {}, nullptr, std::nullopt); };

  Response r = get("/ok");
  CHECK(r.status == 200);
  CHECK(r.ok());
  REQUIRE(r.body_json.has_value());
  CHECK((*r.body_json)["count"] == 2);
  CHECK(r.body == R"({"success":true,"count":2})");

  r = get("/missing");
  CHECK(r.status == 404);
  CHECK_FALSE(r.ok());
  REQUIRE(r.body_json.has_value());
  CHECK((*r.body_json)["detail"]["error"] == "Project p-1 not found");

  r = get("/invalid");
  CHECK(r.status == 422);
  REQUIRE(r.body_json.has_value());
  CHECK((*r.body_json)["detail"] == "Query is required");

  r = get("/boom");
  CHECK(r.status == 500);
  CHECK(r.body == "Internal Server Error");
  CHECK_FALSE(r.body_json.has_value());

  r = get("/html");
  CHECK(r.status == 200);
  CHECK(r.ok());
  CHECK(r.body == "<html>not json</html>");
  CHECK_FALSE(r.body_json.has_value());

  r = get("/empty");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK_FALSE(r.body_json.has_value());
}

TEST_CASE("connection refused is a connection_error naming method and path") {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto api = make_backend(url, Timeouts{2000ms, 2000ms, 5000ms});
  const auto start = Clock::now();
  const TransportError e = transport_error(
      [&] { api.request("GET", "/api/projects", {{"secret", "s3"}}, nullptr, std::nullopt); });
  CHECK(kind_name(e.kind()) == "connection_error");
  CHECK(ms_since(start) < 1500 * time_scale);
  const std::string message = e.what();
  INFO(message);
  CHECK(message.find("GET /api/projects") != std::string::npos);
  CHECK(message.find("refused") != std::string::npos);
  CHECK(message.find("s3") == std::string::npos);         // no query
  CHECK(message.find("127.0.0.1") == std::string::npos);  // no host
}

TEST_CASE("a connection that cannot be established in time is a connect_timeout") {
  StalledListener stalled;
  if (!stalled.stalled()) {
    MESSAGE("skipped: could not fill a loopback accept queue here, so connects do not stall");
    return;
  }
  auto api = make_backend(stalled.url(), Timeouts{300ms, 5000ms, 10000ms});
  const auto start = Clock::now();
  const TransportError e =
      transport_error([&] { api.request("GET", "/api/health", {}, nullptr, std::nullopt); });
  const auto took = ms_since(start);
  CHECK(kind_name(e.kind()) == "connect_timeout");
  CHECK(took >= 250);
  CHECK(took < 2000 * time_scale);
  const std::string message = e.what();
  INFO(message);
  CHECK(message.find("GET /api/health") != std::string::npos);
  CHECK(message.find("300 ms") != std::string::npos);

  // The total limit also bounds the connect phase.
  auto api2 = make_backend(stalled.url(), Timeouts{5000ms, 5000ms, 400ms});
  const auto start2 = Clock::now();
  const TransportError e2 =
      transport_error([&] { api2.request("GET", "/api/health", {}, nullptr, std::nullopt); });
  CHECK(kind_name(e2.kind()) == "connect_timeout");
  CHECK(ms_since(start2) < 2000 * time_scale);
}

TEST_CASE("an answer that does not come in time is a read_timeout, and it is bounded") {
  FixtureBackend fx([](const RecordedRequest&) { return FixtureReply{200, "{}", "application/json", 5000ms}; });

  SUBCASE("read silence limit") {
    auto api = make_backend(fx.url());
    const auto start = Clock::now();
    const TransportError e = transport_error([&] {
      api.request("POST", "/api/rag/query", {}, json{{"query", "x"}}, Timeouts{2000ms, 1000ms, 30000ms});
    });
    const auto took = ms_since(start);
    CHECK(kind_name(e.kind()) == "read_timeout");
    CHECK(took >= 950);
    CHECK(took < 3000 * time_scale);
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("POST /api/rag/query") != std::string::npos);
    CHECK(message.find("1000 ms") != std::string::npos);
  }

  SUBCASE("total limit, from the constructor's defaults") {
    auto api = make_backend(fx.url(), Timeouts{2000ms, 20000ms, 500ms});
    const auto start = Clock::now();
    const TransportError e =
        transport_error([&] { api.request("GET", "/api/slow", {}, nullptr, std::nullopt); });
    const auto took = ms_since(start);
    CHECK(kind_name(e.kind()) == "read_timeout");
    CHECK(took >= 450);
    CHECK(took < 1500 * time_scale);
    CHECK(std::string(e.what()).find("GET /api/slow") != std::string::npos);
  }

  SUBCASE("the handle is usable again after a timeout") {
    auto api = make_backend(fx.url(), Timeouts{2000ms, 20000ms, 300ms});
    transport_error([&] { api.request("GET", "/api/slow", {}, nullptr, std::nullopt); });
    fx.on([](const RecordedRequest&) { return FixtureReply{200, R"({"ok":1})"}; });
    const Response r = api.request("GET", "/api/fast", {}, nullptr, std::nullopt);
    CHECK(r.status == 200);
  }
}

TEST_CASE("cancel_all ends calls in flight at once, and later calls fail without being sent") {
  FixtureBackend fx([](const RecordedRequest&) { return FixtureReply{200, "{}", "application/json", 10000ms}; });
  auto api = make_backend(fx.url(), Timeouts{2000ms, 30000ms, 30000ms});
  std::atomic<int> started{0};
  std::vector<std::thread> callers;
  std::vector<std::string> outcomes(3);
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    callers.emplace_back([&, i] {
      ++started;
      const TransportError e =
          transport_error([&] { api.request("GET", "/api/stalled", {}, nullptr, std::nullopt); });
      outcomes[i] = kind_name(e.kind()) + " " + e.what();
    });
  REQUIRE(test_support::eventually([&] { return fx.requests().size() == 3; }, 5000ms));

  const auto start = Clock::now();
  api.cancel_all();
  for (auto& caller : callers) caller.join();
  CHECK(ms_since(start) < 1000 * time_scale);  // not the 10 s the backend would take
  for (const auto& outcome : outcomes) {
    INFO(outcome);
    CHECK(outcome.rfind("connection_error GET /api/stalled: cancelled", 0) == 0);
  }

  const TransportError later =
      transport_error([&] { api.request("GET", "/api/next", {}, nullptr, std::nullopt); });
  CHECK(kind_name(later.kind()) == "connection_error");
  CHECK(fx.requests().size() == 3);  // never sent
}

TEST_CASE("a server that closes without answering is a connection_error") {
  // A listener that accepts and closes at once.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::atomic<bool> done{false};
  std::thread closer([&] {
    while (!done.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        const int c = ::accept(fd, nullptr, nullptr);
        if (c >= 0) {
          char buf[4096];
          (void)::recv(c, buf, sizeof(buf), 0);  // read the request, then hang up
          ::close(c);
        }
      }
    }
  });
  auto api = make_backend("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                          Timeouts{2000ms, 2000ms, 5000ms});
  const TransportError e =
      transport_error([&] { api.request("GET", "/api/health", {}, nullptr, std::nullopt); });
  CHECK(kind_name(e.kind()) == "connection_error");
  CHECK(std::string(e.what()).find("GET /api/health") != std::string::npos);
  done = true;
  closer.join();
  ::close(fd);
}

TEST_CASE("an answer nested deeper than 100 levels is kept as text, never parsed") {
  // Parsing it would give the tools a document whose copies and serialisation recurse past a
  // connection thread's stack: one such answer must not be able to take the server down.
  auto nested = [](int depth) {
    return R"({"id":"p-1","data":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  FixtureBackend fx([&](const RecordedRequest& req) {
    return FixtureReply{200, nested(req.path == "/deep" ? 50000 : 99)};
  });
  auto api = make_backend(fx.url());

  const Response deep = api.request("GET", "/deep", {}, nullptr, std::nullopt);
  CHECK(deep.status == 200);
  CHECK(deep.body == nested(50000));
  CHECK_FALSE(deep.body_json.has_value());
  CHECK(deep.body_too_deep);

  const Response within = api.request("GET", "/within", {}, nullptr, std::nullopt);  // 100 levels
  REQUIRE(within.body_json.has_value());
  CHECK_FALSE(within.body_too_deep);
  CHECK((*within.body_json)["id"] == "p-1");
}

TEST_CASE("an answer over max_response_bytes is cut off: its status, its first KiB, body_too_large") {
  FixtureBackend fx([](const RecordedRequest& req) {
    return FixtureReply{req.path == "/fail" ? 500 : 200, std::string(10000, 'x'), "text/plain"};
  });
  HttpBackendOptions options;
  options.use_env_proxy = false;
  options.max_response_bytes = 5000;
  HttpBackend api(fx.url(), options);
  for (const std::string path : {"/big", "/fail"}) {
    const Response r = api.request("GET", path, {}, nullptr, std::nullopt);
    CHECK(r.status == (path == "/big" ? 200 : 500));
    CHECK(r.body_too_large);
    CHECK(r.body == std::string(1024, 'x'));
    CHECK_FALSE(r.body_json.has_value());
  }
  // The connection it was cut on is not reused for garbage: the next call works.
  options.max_response_bytes = 20000;
  HttpBackend roomy(fx.url(), options);
  const Response whole = roomy.request("GET", "/big", {}, nullptr, std::nullopt);
  CHECK_FALSE(whole.body_too_large);
  CHECK(whole.body.size() == 10000);
}

// A JSON list of `count` copies of `item`.
std::string json_list(const std::string& item, std::size_t count) {
  std::string out = "[";
  for (std::size_t i = 0; i < count; ++i) out += (i ? "," : "") + item;
  return out + "]";
}

TEST_CASE("the default byte cap is 4 MiB: a 4.2 MB answer is not parsed") {
  const std::string page = json{{"id", "p-1"}, {"full_content", std::string(20000, 'w')}}.dump();
  FixtureBackend fx([&](const RecordedRequest& req) {
    return FixtureReply{200, json_list(page, req.path == "/big" ? 210 : 200)};  // 4.2 MB, 4.0 MB
  });
  auto api = make_backend(fx.url());
  const Response big = api.request("GET", "/big", {}, nullptr, std::nullopt);
  CHECK(big.status == 200);
  CHECK_FALSE(big.body_json.has_value());
  CHECK(big.body.size() <= 1024);
  CHECK(big.body_too_large);
  const Response within = api.request("GET", "/within", {}, nullptr, std::nullopt);
  REQUIRE(within.body_json.has_value());
  CHECK(within.body_json->size() == 200);
}

TEST_CASE("JSON whose parsed form would pass max_parse_bytes is kept as text, never parsed") {
  // 3 MB of "{}" would take 64 MB once parsed (21x, measured); the same size of prose 3 MB.
  const std::size_t count = 1'000'000;
  FixtureBackend fx([&](const RecordedRequest& req) {
    if (req.path == "/objects") return FixtureReply{200, json_list("{}", count)};
    if (req.path == "/arrays") return FixtureReply{200, json_list("[]", count)};
    if (req.path == "/strings") return FixtureReply{200, json_list("\"\"", count)};
    return FixtureReply{200, json_list("\"" + std::string(3000, 'w') + "\"", 1000)};
  });
  auto api = make_backend(fx.url());  // 4 MiB of body, 32 MiB parsed
  for (const std::string path : {"/objects", "/arrays", "/strings"}) {
    CAPTURE(path);
    const Response r = api.request("GET", path, {}, nullptr, std::nullopt);
    CHECK(r.status == 200);
    CHECK_FALSE(r.body_json.has_value());
    CHECK(r.body_too_costly);
    CHECK_FALSE(r.body_too_large);
  }
  const Response prose = api.request("GET", "/prose", {}, nullptr, std::nullopt);
  REQUIRE(prose.body_json.has_value());
  CHECK_FALSE(prose.body_too_costly);
  CHECK(prose.body_json->size() == 1000);
}

TEST_CASE("base URLs: bad ones are refused clearly, good ones normalised") {
  struct Bad {
    const char* url;
    const char* says;
  };
  for (const Bad bad : {Bad{"", "empty"}, Bad{"archon-server:8181", "scheme"},
                        Bad{"localhost", "scheme"}, Bad{"ftp://h:21", "http or https"},
                        Bad{"http://", "invalid backend URL"}, Bad{"http://h:99999", "invalid backend URL"},
                        Bad{"http://h:0", "port"}, Bad{"http://h:8181/?x=1", "query"},
                        Bad{"http://h:8181/#top", "fragment"}, Bad{"http://h o:1", "invalid backend URL"},
                        Bad{"http://user:hunter2@h:8181", "credentials"}}) {
    INFO(bad.url);
    try {
      HttpBackend api(bad.url);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK(message.find(bad.says) != std::string::npos);
      CHECK(message.find("hunter2") == std::string::npos);
    }
  }
  CHECK(HttpBackend("http://archon-server:8181").describe() == "http://archon-server:8181");
  CHECK(HttpBackend("http://archon-server:8181/api/ignored").describe() == "http://archon-server:8181");
  CHECK(HttpBackend("HTTP://localhost").describe() == "http://localhost:80");
  CHECK(HttpBackend("https://archon.example").describe() == "https://archon.example:443");
  CHECK(HttpBackend("http://[::1]:8181/").describe() == "http://[::1]:8181");
}

TEST_CASE("the base URL's path is ignored: request paths are absolute") {
  FixtureBackend fx;
  auto api = make_backend(fx.url() + "/some/prefix/");
  api.request("GET", "/api/health", {}, nullptr, std::nullopt);
  CHECK(fx.last_request().target == "/api/health");
}

TEST_CASE("bad methods and paths are refused before anything is sent") {
  FixtureBackend fx;
  auto api = make_backend(fx.url());
  CHECK_THROWS_AS(api.request("", "/x", {}, nullptr, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(api.request("GE T", "/x", {}, nullptr, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(api.request("GET", "x", {}, nullptr, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(api.request("GET", "", {}, nullptr, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(api.request("GET", "/x\r\nHost: evil", {}, nullptr, std::nullopt),
                  std::invalid_argument);
  CHECK(fx.request_count() == 0);
}

TEST_CASE("sequential requests reuse one connection") {
  FixtureBackend fx([](const RecordedRequest& req) {
    return FixtureReply{200, json{{"n", req.param("n").value_or("")}}.dump()};
  });
  auto api = make_backend(fx.url());
  for (int i = 0; i < 20; ++i) {
    const Response r = api.request(i % 2 ? "POST" : "GET", "/api/tasks", {{"n", std::to_string(i)}},
                                   i % 2 ? json{{"i", i}} : json(nullptr), std::nullopt);
    REQUIRE(r.status == 200);
    CHECK((*r.body_json)["n"] == std::to_string(i));
  }
  CHECK(fx.request_count() == 20);
  CHECK(fx.connections() == 1);
  CHECK(api.idle_connections() == 1);
}

TEST_CASE("32 concurrent callers run in parallel on at most 32 connections") {
  FixtureBackend fx([](const RecordedRequest& req) {
    return FixtureReply{200, json{{"caller", req.param("caller").value_or("")}}.dump(),
                        "application/json", 200ms};
  });
  auto api = make_backend(fx.url());
  constexpr int callers = 32;
  std::vector<int> status(callers, 0);
  std::vector<std::string> echoed(callers);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      try {
        const Response r =
            api.request("GET", "/api/projects", {{"caller", std::to_string(i)}}, nullptr, std::nullopt);
        status[i] = r.status;
        if (r.body_json) echoed[i] = (*r.body_json)["caller"].get<std::string>();
      } catch (const std::exception& e) {
        echoed[i] = e.what();
      }
    });
  }
  while (ready.load() < callers) std::this_thread::yield();
  const auto start = Clock::now();
  go = true;
  for (auto& t : threads) t.join();
  const auto took = ms_since(start);

  for (int i = 0; i < callers; ++i) {
    INFO("caller " << i << ": " << echoed[i]);
    CHECK(status[i] == 200);
    CHECK(echoed[i] == std::to_string(i));
  }
  MESSAGE(callers << " concurrent callers took " << took << " ms on " << fx.connections()
                   << " connections");
  CHECK(took < 2000 * time_scale);  // serially: 32 x 200 ms = 6.4 s
  CHECK(fx.connections() <= callers);
  CHECK(fx.request_count() == callers);

  // The pool keeps the connections: another round opens none.
  const std::size_t after_first_round = fx.connections();
  for (int i = 0; i < 8; ++i) {
    fx.on([](const RecordedRequest&) { return FixtureReply{}; });
    CHECK(api.request("GET", "/api/health", {}, nullptr, std::nullopt).status == 200);
  }
  CHECK(fx.connections() == after_first_round);
}

TEST_CASE("a 'Connection: close' answer is honoured: the next call opens a new connection") {
  FixtureBackend fx([](const RecordedRequest&) {
    return FixtureReply{200, "{}", "application/json", 0ms, {{"Connection", "close"}}};
  });
  auto api = make_backend(fx.url());
  for (int i = 0; i < 3; ++i) {
    CHECK(api.request("GET", "/api/health", {}, nullptr, std::nullopt).status == 200);
  }
  CHECK(fx.connections() == 3);
}

TEST_CASE("FixtureBackend: default reply, throwing handler, waiting and clearing") {
  FixtureBackend fx;
  auto api = make_backend(fx.url());
  Response r = api.request("GET", "/anything", {{"a", "1"}}, nullptr, std::nullopt);
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  CHECK(fx.wait_for_requests(1, 1000ms));
  CHECK_FALSE(fx.wait_for_requests(2, 10ms));
  CHECK(fx.last_request().param("a") == "1");
  CHECK_FALSE(fx.last_request().param("b").has_value());

  fx.on([](const RecordedRequest&) -> FixtureReply { throw std::runtime_error("scripted failure"); });
  r = api.request("GET", "/anything", {}, nullptr, std::nullopt);
  CHECK(r.status == 500);
  CHECK(r.body.find("scripted failure") != std::string::npos);
  CHECK(fx.request_count() == 2);

  fx.clear();
  CHECK(fx.request_count() == 0);
  CHECK_THROWS_AS((void)fx.last_request(), std::logic_error);
  CHECK(fx.connections() == 1);
}
