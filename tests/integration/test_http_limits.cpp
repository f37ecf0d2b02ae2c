// HTTP framing and byte budgets on a running server: request heads and bodies over their budgets
// are refused while they arrive, framing a proxy could read differently is refused and the
// connection closed (no second request is ever parsed from the rest), "100 Continue" comes only
// after the checks, header values arrive undecoded, and a session opened beforehand is unharmed.
#include "request_bytes.hpp"
#include "test_server.hpp"

#include <string>

using namespace itest;
using mcpgate::test::gzip;

namespace {

std::string head_of(int port, const std::string& request_line, const std::string& extra) {
  return request_line + "\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\n" + extra +
         "\r\n";
}

// Sends `bytes` on a fresh connection (as much as the server takes), reads one answer; its
// status, and whether the server then closed the connection without a second answer.
struct Answer {
  int status = 0;
  bool closed = false;
  std::string body;
};

Answer send_once(int port, const std::string& bytes) {
  RawHttp http(port);
  REQUIRE(http.connected());
  (void)http.send_all(bytes);
  Answer answer;
  if (!http.read_head()) return answer;
  answer.status = http.status();
  answer.body = http.read_body(2000ms);
  answer.closed = http.wait_closed(3000ms);
  return answer;
}

void expect_session_works(int port, const std::string& session, int id) {
  const auto reply = mcp_post(port, session, rpc_request(id, "ping"));
  REQUIRE(reply.ok);
  CHECK(reply.status == 200);
  CHECK(reply.response(id).has_value());
}

}  // namespace

TEST_CASE("request heads over their budgets: 414 and 431 while they arrive, the session unharmed") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);

  SUBCASE("a request line over 8 KiB: 414") {
    const auto answer = send_once(port, head_of(port, "GET /mcp?" + std::string(9000, 'a') + " HTTP/1.1", ""));
    CHECK(answer.status == 414);
    CHECK(answer.closed);
  }
  SUBCASE("101 header fields: 431") {
    std::string extra;
    for (int i = 0; i < 101; ++i) extra += "X-Field-" + std::to_string(i) + ": 1\r\n";
    const auto answer = send_once(port, head_of(port, "POST /mcp HTTP/1.1", extra));
    CHECK(answer.status == 431);
    CHECK(answer.closed);
  }
  SUBCASE("over 64 KiB of headers in lines of 4 KiB: 431") {
    std::string extra;
    for (int i = 0; i < 17; ++i) extra += "X-Field-" + std::to_string(i) + ": " + std::string(4000, 'v') + "\r\n";
    CHECK(send_once(port, head_of(port, "POST /mcp HTTP/1.1", extra)).status == 431);
  }
  SUBCASE("one header line of 4 MB with no end: 431 long before it is all sent") {
    RawHttp http(port);
    REQUIRE(http.send_all("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "));
    const std::string block(64 * 1024, 'v');
    for (int i = 0; i < 64 && http.send_all(block); ++i) {
    }
    REQUIRE(http.read_head());
    CHECK(http.status() == 431);
    CHECK(http.wait_closed(3000ms));
  }
  expect_session_works(port, session, 99);
}

TEST_CASE("request bodies: --max-body holds for every framing, on the wire and inflated") {
  mcpgate::Config config = test_config();
  config.max_body = 64 * 1024;
  TestServer server(config);
  const int port = server.port();
  const std::string session = open_session(port);
  const std::string init = initialize_request(1, latest).dump();

  SUBCASE("Content-Length over the budget: 413 at once, without waiting for the body") {
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1", "Content-Length: 100000000\r\n")));
    REQUIRE(http.read_head(3000ms));
    CHECK(http.status() == 413);
    CHECK(http.wait_closed(3000ms));
  }
  SUBCASE("chunked over the budget: 413 once the chunks pass it") {
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1", "Transfer-Encoding: chunked\r\n")));
    const std::string chunk = "8000\r\n" + std::string(0x8000, ' ') + "\r\n";
    for (int i = 0; i < 3 && http.send_all(chunk); ++i) {
    }
    REQUIRE(http.read_head(3000ms));
    CHECK(http.status() == 413);
    CHECK(http.wait_closed(3000ms));
  }
  SUBCASE("a chunked body within the budget is served") {
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", init.size());
    const auto answer = send_once(port, head_of(port, "POST /mcp HTTP/1.1", "Transfer-Encoding: chunked\r\n") +
                                            size + "\r\n" + init + "\r\n0\r\n\r\n");
    CHECK(answer.status == 200);
  }
  SUBCASE("a gzip body is inflated and served; a gzip bomb gets 413") {
    const std::string packed = gzip(init);
    auto answer = send_once(port, head_of(port, "POST /mcp HTTP/1.1",
                                          "Content-Encoding: gzip\r\nContent-Length: " +
                                              std::to_string(packed.size()) + "\r\n") + packed);
    CHECK(answer.status == 200);
    const std::string bomb = gzip(std::string(48u << 20, ' '));  // 48 MiB in ~48 KB
    REQUIRE(bomb.size() < config.max_body);
    answer = send_once(port, head_of(port, "POST /mcp HTTP/1.1",
                                     "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") +
                                 [&] {
                                   char size[16];
                                   std::snprintf(size, sizeof(size), "%zx", bomb.size());
                                   return std::string(size) + "\r\n" + bomb + "\r\n0\r\n\r\n";
                                 }());
    CHECK(answer.status == 413);
    CHECK(answer.body.find("inflated") != std::string::npos);
  }
  SUBCASE("an encoding the server cannot read: 415") {
    CHECK(send_once(port, head_of(port, "POST /mcp HTTP/1.1", "Content-Encoding: br\r\nContent-Length: 4\r\n") + "abcd")
              .status == 415);
  }
  SUBCASE("a POST with no length has an empty body: answered at once, not read until the client closes") {
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1", "")));
    REQUIRE(http.read_head(3000ms));
    CHECK(http.status() == 400);
    CHECK(error_code(json::parse(http.read_body(2000ms))) == -32700);
  }
  expect_session_works(port, session, 98);
}

TEST_CASE("a body within --max-body that would take too much memory once parsed: 413, before parsing") {
  TestServer server;
  const int port = server.port();
  std::string body = initialize_request(1, latest).dump();
  std::string values = R"(,"padding":[)";
  for (int i = 0; i < 1'000'000; ++i) values += i ? ",{}" : "{}";
  body.insert(body.rfind('}'), values + "]");  // inside the message, ~3 MB of empty objects
  REQUIRE(body.size() < 4u * 1024 * 1024);
  const auto reply = exchange(port, "POST", "/mcp", mcp_headers("", ""), body);
  REQUIRE(reply.ok);
  CHECK(reply.status == 413);
  CHECK(error_code(reply.json_body()) == -32700);
  const auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());
  const auto posted = exchange(port, "POST", legacy->post_target, {{"Content-Type", "application/json"}}, body);
  REQUIRE(posted.ok);
  CHECK(posted.status == 413);
}

TEST_CASE("ambiguous framing: 400 and the connection closed, never a second request from the rest") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  // The body of each request is a complete second request: parsing it would answer twice.
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Content-Length and Transfer-Encoding", "Content-Length: " + length + "\r\nTransfer-Encoding: chunked\r\n"},
      {"two Content-Length", "Content-Length: " + length + "\r\nContent-Length: 0\r\n"},
      {"an invalid Content-Length", "Content-Length: " + length + "x\r\n"},
      {"an unknown transfer coding", "Transfer-Encoding: gzip\r\n"},
      {"two Host headers", "Host: evil.example\r\nContent-Length: " + length + "\r\n"},
  };
  for (const auto& test_case : cases) {
    INFO(test_case.first);
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1", test_case.second) + smuggled));
    REQUIRE(http.read_head(3000ms));
    CHECK((http.status() == 400 || http.status() == 501));
    CHECK(http.header("Connection") == "close");
    (void)http.read_body(2000ms);
    CHECK(http.wait_closed(3000ms));
    CHECK_FALSE(http.read_head(200ms));  // no answer to the smuggled request
  }
  expect_session_works(port, session, 97);
}

TEST_CASE("Expect: 100-continue is answered only after the size and token checks") {
  mcpgate::Config config = test_config();
  config.max_body = 64 * 1024;
  config.auth_token = "s3cret%41";
  TestServer server(config);
  const int port = server.port();
  const std::string auth = "Authorization: Bearer s3cret%41\r\n";

  SUBCASE("too large: 413, no 100") {
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1",
                                  auth + "Expect: 100-continue\r\nContent-Length: 10000000\r\n")));
    REQUIRE(http.read_head(3000ms));
    CHECK(http.status() == 413);
  }
  SUBCASE("no token: 401, no 100") {
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1", "Expect: 100-continue\r\nContent-Length: 10\r\n")));
    REQUIRE(http.read_head(3000ms));
    CHECK(http.status() == 401);
    CHECK(http.wait_closed(3000ms));
  }
  SUBCASE("a token holding %41 matches as sent (header values are not percent-decoded), then 100") {
    const std::string body = initialize_request(1, latest).dump();
    RawHttp http(port);
    REQUIRE(http.send_all(head_of(port, "POST /mcp HTTP/1.1",
                                  auth + "Expect: 100-continue\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n")));
    CHECK(http.read_interim_head(3000ms) == 100);
    REQUIRE(http.send_all(body));
    REQUIRE(http.read_head());
    CHECK(http.status() == 200);
  }
}
