// The DNS-rebinding guard and CORS over real HTTP, on both transports: a Host or Origin that is
// not loopback (or not listed) gets 403 on POST /mcp, GET /sse and POST /messages; a good one
// is served; and no answer ever carries a CORS header (or Vary) twice, which browsers refuse.
#include "test_server.hpp"

#include <map>

using namespace itest;

// The whole file in a named namespace: the integration tests are compiled as one unity file.
namespace host_origin_test {

constexpr const char* browser_origin = "http://localhost:6274";

// Host values a rebinding page (or a confused client) could send, that must not pass a
// loopback-bound server. Control characters cannot be sent in a header; the unit tests
// cover those.
const std::vector<std::string> bad_hosts = {
    "127.0.0.1.attacker.example", "127.evil.com",   "localhost.attacker.example",
    "localhost.",                 "127.0.0.1.",     "localhost:",
    "localhost:80a",              "localhost:65536", "user@localhost",
    "evil.com@127.0.0.1",         "localhost/mcp",  "localhost?x",
    "local host",                 "127.1",          "0x7f.0.0.1",
    "2130706433",                 "::1",            "[::1%25lo]",
    "example.com",                "10.0.0.1",       "[::ffff:127.0.0.1]",
};

const std::vector<std::string> good_hosts = {"localhost", "127.0.0.1", "localhost:1234",
                                             "127.1.2.3:8051", "[::1]", "[::1]:8051", "LocalHost"};

const std::vector<std::string> bad_origins = {
    "null",
    "http://127.0.0.1.attacker.example",
    "http://127.evil.com:8051",
    "http://localhost.",
    "http://localhost.:6274",
    "http://localhost:6274/",
    "http://localhost:6274/path",
    "http://user@localhost",
    "http://localhost:",
    "https://evil.example",
    "file://",
    "chrome-extension://abcdefgh",
    "localhost:6274",
};

const std::vector<std::string> good_origins = {"http://localhost:6274", "http://127.0.0.1:3000",
                                               "https://localhost", "http://[::1]:5173"};

std::string init_body() { return initialize_request(1, latest).dump(); }

// The three entry points, each with `extra` headers (Host and/or Origin).
struct Answers {
  int mcp = 0;     // POST /mcp initialize
  int sse = 0;     // GET /sse
  int legacy = 0;  // POST /messages?sessionId=... on an open legacy session
};

Answers try_all(int port, const std::string& legacy_target, const Headers& extra) {
  Answers out;
  Headers mcp = mcp_headers("", "");
  for (const auto& h : extra) mcp.push_back(h);
  out.mcp = exchange(port, "POST", "/mcp", mcp, init_body()).status;

  RawHttp sse(port);
  Headers sse_headers{{"Accept", "text/event-stream"}};
  for (const auto& h : extra) sse_headers.push_back(h);
  if (sse.send_request("GET", "/sse", sse_headers) && sse.read_head(5000ms)) out.sse = sse.status();
  sse.close();  // an accepted stream ends its session here

  Headers legacy{{"Content-Type", "application/json"}};
  for (const auto& h : extra) legacy.push_back(h);
  out.legacy = exchange(port, "POST", legacy_target, legacy, rpc_request(9, "ping").dump()).status;
  return out;
}


TEST_CASE("Host: only a loopback host reaches either transport of a loopback-bound server") {
  TestServer server;
  const int port = server.port();
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());

  for (const auto& host : bad_hosts) {
    CAPTURE(host);
    const auto answers = try_all(port, legacy->post_target, {{"Host", host}});
    CHECK(answers.mcp == 403);
    CHECK(answers.sse == 403);
    CHECK(answers.legacy == 403);
  }
  for (const auto& host : good_hosts) {
    CAPTURE(host);
    const auto answers = try_all(port, legacy->post_target, {{"Host", host}});
    CHECK(answers.mcp == 200);
    CHECK(answers.sse == 200);
    CHECK(answers.legacy == 202);
  }

  SUBCASE("the refusal says why, as one printable line, and no session is opened") {
    Headers headers = mcp_headers("", "");
    headers.emplace_back("Host", "127.0.0.1.attacker.example");
    const auto reply = exchange(port, "POST", "/mcp", headers, init_body());
    CHECK(reply.status == 403);
    CHECK(error_message(reply.json_body()).find("Invalid Host") != std::string::npos);
    CHECK(reply.header("Mcp-Session-Id").empty());
  }
  SUBCASE("a request with no Host at all is refused") {
    RawHttp raw(port);
    REQUIRE(raw.send_all("GET /sse HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n"));
    REQUIRE(raw.read_head());
    CHECK(raw.status() == 403);
  }
}

TEST_CASE("Origin: only exactly scheme://loopback-authority reaches either transport") {
  TestServer server;
  const int port = server.port();
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());

  for (const auto& origin : bad_origins) {
    CAPTURE(origin);
    const auto answers = try_all(port, legacy->post_target, {{"Origin", origin}});
    CHECK(answers.mcp == 403);
    CHECK(answers.sse == 403);
    CHECK(answers.legacy == 403);
  }
  for (const auto& origin : good_origins) {
    CAPTURE(origin);
    const auto answers = try_all(port, legacy->post_target, {{"Origin", origin}});
    CHECK(answers.mcp == 200);
    CHECK(answers.sse == 200);
    CHECK(answers.legacy == 202);
  }
}

TEST_CASE("--allowed-hosts / --allowed-origins: matched with the same strict parsing") {
  auto config = test_config();
  config.allowed_hosts = {"mcp.example.com", "box:8051"};
  config.allowed_origins = {"https://app.example.com"};
  TestServer server(config);
  const int port = server.port();
  auto legacy = open_legacy(port);  // its own Host is 127.0.0.1: not listed
  CHECK_FALSE(legacy.has_value());
  const std::string target = "/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAA";

  for (const std::string host : {"mcp.example.com", "MCP.example.com:443", "box:8051"}) {
    CAPTURE(host);
    const auto answers = try_all(port, target, {{"Host", host}, {"Origin", "https://app.example.com"}});
    CHECK(answers.mcp == 200);
    CHECK(answers.sse == 200);
    CHECK(answers.legacy == 404);  // past the guard: that session does not exist
  }
  for (const std::string host : {"mcp.example.com.", "mcp.example.com.attacker.example", "box:8052",
                                 "box", "user@mcp.example.com", "mcp.example.com/x", "localhost"}) {
    CAPTURE(host);
    const auto answers = try_all(port, target, {{"Host", host}});
    CHECK(answers.mcp == 403);
    CHECK(answers.sse == 403);
    CHECK(answers.legacy == 403);
  }
  for (const std::string origin : {"https://app.example.com/", "http://app.example.com",
                                   "https://app.example.com.attacker.example", "null"}) {
    CAPTURE(origin);
    const auto answers = try_all(port, target, {{"Host", "mcp.example.com"}, {"Origin", origin}});
    CHECK(answers.mcp == 403);
    CHECK(answers.sse == 403);
    CHECK(answers.legacy == 403);
  }
}

// Every answer to an accepted Origin: each Access-Control-* header and Vary at most once, and
// (except where noted) Access-Control-Allow-Origin and Vary exactly once.

enum class Kind { answer, preflight, maybe_without_cors };

void expect_cors_once(const Headers& headers, Kind kind) {
  std::map<std::string, int> counts;
  for (const auto& [name, value] : headers) {
    const std::string key = lower(name);
    if (key.rfind("access-control-", 0) == 0 || key == "vary") ++counts[key];
  }
  for (const auto& entry : counts) {
    const std::string& name = entry.first;  // clang 14: no structured binding in CAPTURE
    CAPTURE(name);
    CHECK(entry.second == 1);
  }
  if (kind == Kind::maybe_without_cors) return;
  CHECK(counts["access-control-allow-origin"] == 1);
  CHECK(counts["vary"] == 1);
  if (kind == Kind::preflight) {
    CHECK(counts["access-control-allow-methods"] == 1);
    CHECK(counts["access-control-allow-headers"] == 1);
    CHECK(counts["access-control-max-age"] == 1);
  }
}

TEST_CASE("CORS: a preflight and every other answer carry each CORS header and Vary once") {
  auto config = test_config();
  config.auth_token = "s3cret";
  config.max_body = 64 * 1024;
  TestServer server(config);
  const int port = server.port();
  const Headers origin{{"Origin", browser_origin}};
  const Headers auth{{"Origin", browser_origin}, {"Authorization", "Bearer s3cret"}};
  const auto plus = [](Headers a, const Headers& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };

  SUBCASE("preflights, on every MCP path") {
    for (const std::string path : {"/mcp", "/sse", "/messages", "/metrics", "/nowhere"}) {
      CAPTURE(path);
      const auto reply = exchange(port, "OPTIONS", path,
                                  {{"Origin", browser_origin},
                                   {"Access-Control-Request-Method", "POST"},
                                   {"Access-Control-Request-Headers", "content-type,mcp-session-id"}});
      REQUIRE(reply.ok);
      CHECK(reply.status == 204);
      expect_cors_once(reply.headers, Kind::preflight);
    }
  }

  SUBCASE("successes and errors of both transports") {
    // 401 without the token.
    auto reply = exchange(port, "POST", "/mcp", plus(mcp_headers("", ""), origin), init_body());
    CHECK(reply.status == 401);
    expect_cors_once(reply.headers, Kind::answer);
    // 200 initialize (SSE), then 202, 200 tools/call, 404, 400, 405, 415, 406, 409 and DELETE.
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers("", ""), auth), init_body());
    REQUIRE(reply.status == 200);
    expect_cors_once(reply.headers, Kind::answer);
    const std::string session = reply.header("Mcp-Session-Id");
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers(session, latest), auth),
                     rpc_notification("notifications/initialized").dump());
    CHECK(reply.status == 202);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers(session, latest), auth),
                     tool_call(2, "test_simple_text").dump());
    CHECK(reply.status == 200);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers(session, latest, "application/json"), auth),
                     tool_call(3, "test_simple_text").dump());
    CHECK(reply.status == 200);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers("no-such-session", latest), auth),
                     rpc_request(4, "ping").dump());
    CHECK(reply.status == 404);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/mcp", plus(mcp_headers(session, latest), auth), "{not json");
    CHECK(reply.status == 400);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "PUT", "/mcp", plus(mcp_headers(session, latest), auth), "{}");
    CHECK(reply.status == 405);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/mcp", plus({{"Content-Type", "text/plain"}}, auth), "x");
    CHECK(reply.status == 415);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "GET", "/mcp", plus({{"Accept", "text/plain"}, {"Mcp-Session-Id", session}}, auth));
    CHECK(reply.status == 406);
    expect_cors_once(reply.headers, Kind::answer);
    {
      auto stream = open_get_stream(port, session, latest, auth);
      CHECK(stream->status() == 200);
      expect_cors_once(stream->headers(), Kind::answer);
      reply = exchange(port, "GET", "/mcp",
                       plus({{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}}, auth));
      CHECK(reply.status == 409);
      expect_cors_once(reply.headers, Kind::answer);
    }
    reply = exchange(port, "GET", "/metrics", auth);
    CHECK(reply.status == 200);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "GET", "/nowhere", auth);
    CHECK(reply.status == 404);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "DELETE", "/mcp", plus({{"Mcp-Session-Id", session}}, auth));
    CHECK(reply.status == 200);
    expect_cors_once(reply.headers, Kind::answer);

    // Legacy: the stream, a 202, a 404 and a 400.
    RawHttp sse(port);
    REQUIRE(sse.send_request("GET", "/sse", plus({{"Accept", "text/event-stream"}}, auth)));
    REQUIRE(sse.read_head());
    CHECK(sse.status() == 200);
    expect_cors_once(sse.headers(), Kind::answer);
    const auto endpoint = sse.next_event();
    REQUIRE(endpoint.has_value());
    const std::string target = "/" + endpoint->data;
    reply = exchange(port, "POST", target, plus({{"Content-Type", "application/json"}}, auth),
                     rpc_request(1, "ping").dump());
    CHECK(reply.status == 202);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", "/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAA",
                     plus({{"Content-Type", "application/json"}}, auth), rpc_request(1, "ping").dump());
    CHECK(reply.status == 404);
    expect_cors_once(reply.headers, Kind::answer);
    reply = exchange(port, "POST", target, plus({{"Content-Type", "application/json"}}, auth), "[]");
    CHECK(reply.status == 400);
    expect_cors_once(reply.headers, Kind::answer);
  }

  SUBCASE("413: a body over --max-body (refused perhaps before the CORS headers are set)") {
    const std::string big(100 * 1024, 'x');
    const auto reply = exchange(port, "POST", "/mcp", plus(mcp_headers("", ""), auth), big);
    CHECK(reply.status == 413);
    expect_cors_once(reply.headers, Kind::maybe_without_cors);
  }
}

}  // namespace host_origin_test
