// The DNS-rebinding guard over real HTTP, on both transports: a Host or Origin that is not
// loopback (or not listed) gets 403 on POST /mcp, GET /sse and POST /messages; a good one is
// served.
#include "test_server.hpp"

using namespace itest;

// The whole file in a named namespace: the integration tests are compiled as one unity file.
namespace host_origin_test {

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

}  // namespace host_origin_test
