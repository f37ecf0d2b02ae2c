// A battery of malformed HTTP and JSON-RPC requests. Each one gets a 4xx status or the right
// JSON-RPC error (or the connection is closed for framing the server cannot read), the server
// stays up, and a session opened before the battery keeps working afterwards, on both
// transports.
#include "test_server.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace itest;

namespace {

struct RawCase {
  std::string label;
  std::string bytes;  // the whole request as sent on the wire
};

// Sends raw bytes on a fresh connection; the status line's code, or 0 when the server closed the
// connection without an answer (acceptable only for unreadable framing).
int send_raw(int port, const std::string& bytes) {
  RawHttp http(port);
  REQUIRE(http.connected());
  (void)http.send_all(bytes);  // the server may close early on an absurd request
  if (!http.read_head(io_timeout)) return 0;
  return http.status();
}

std::string post_mcp(int port, const std::string& session, const std::string& body,
                     const std::string& extra_headers = "") {
  std::string out = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\n";
  if (!session.empty()) out += "Mcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: " + latest + "\r\n";
  out += extra_headers;
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

// The JSON-RPC error code in an answer to a POST with this body, or 0 when there was none.
int rpc_error_for(int port, const std::string& session, const std::string& body, const json& id) {
  const auto reply = exchange(port, "POST", "/mcp", mcp_headers(session, latest), body);
  REQUIRE(reply.ok);
  INFO("status " << reply.status << " body " << reply.body);
  if (reply.status >= 400) {
    const json parsed = reply.json_body();
    return parsed.is_object() && parsed.contains("error") ? parsed["error"]["code"].get<int>() : -1;
  }
  const auto response = reply.response(id);
  if (!response || !response->contains("error")) return 0;
  return (*response)["error"]["code"].get<int>();
}

// The healthy session still answers a tool call; the legacy stream still delivers.
void expect_unharmed(int port, const std::string& session, LegacyStream& legacy, int round) {
  const auto call = mcp_post(port, session, tool_call(1000 + round, "test_simple_text"));
  REQUIRE(call.ok);
  CHECK(call.status == 200);
  const auto response = call.response(1000 + round);
  REQUIRE(response.has_value());
  CHECK(response->contains("result"));

  const auto posted = exchange(port, "POST", legacy.post_target, {{"Content-Type", "application/json"}},
                               rpc_request(2000 + round, "ping").dump());
  REQUIRE(posted.ok);
  CHECK(posted.status == 202);
  // Skip anything the battery left on the stream (errors with a null id); the ping's answer
  // must come.
  std::optional<json> message;
  for (int i = 0; i < 50; ++i) {
    message = legacy.http->next_message();
    if (!message || (*message)["id"] == 2000 + round) break;
  }
  REQUIRE(message.has_value());
  CHECK((*message)["id"] == 2000 + round);
}

}  // namespace

TEST_CASE("malformed HTTP: every request gets a 4xx or a closed connection; sessions unharmed") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";

  const std::vector<RawCase> cases = {
      {"not HTTP at all", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n"},
      {"no version in the request line", "GET /mcp\r\n" + host + "\r\n"},
      {"HTTP/9.9", "GET /health HTTP/9.9\r\n" + host + "\r\n"},
      {"header without a colon", "POST /mcp HTTP/1.1\r\n" + host + "Broken header line\r\n\r\n"},
      {"absurd header size (1 MiB)",
       "POST /mcp HTTP/1.1\r\n" + host + "X-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n"},
      {"a target of 64 KiB", "GET /" + std::string(65536, 'x') + " HTTP/1.1\r\n" + host + "\r\n"},
      {"negative Content-Length",
       "POST /mcp HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
           "Content-Length: -5\r\n\r\n{}"},
      {"Content-Length larger than the cap",
       "POST /mcp HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
           "Content-Length: 99999999999\r\n\r\n{}"},
      {"bad chunked framing",
       "POST /mcp HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
           "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
      {"duplicate Mcp-Session-Id headers",
       post_mcp(port, session, rpc_request(1, "ping").dump(), "Mcp-Session-Id: other-session\r\n")},
      {"session id with control characters",
       post_mcp(port, "", rpc_request(1, "ping").dump(), "Mcp-Session-Id: a\x01" "b\r\n")},
      {"legacy POST to an absurd session id",
       "POST /messages?sessionId=" + std::string(8192, 'z') + " HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
      {"legacy POST with a broken percent escape",
       "POST /messages?sessionId=%zz%4 HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
  };

  int round = 0;
  for (const auto& c : cases) {
    CAPTURE(c.label);
    const int status = send_raw(port, c.bytes);
    // 0: the server closed a connection it could not read (fine); otherwise a client error.
    CHECK((status == 0 || (status >= 400 && status < 500)));
    const auto health = server.client()->Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    expect_unharmed(port, session, *legacy, ++round);
  }
}

TEST_CASE("malformed JSON-RPC: the right error for each, sessions unharmed") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());
  namespace code = mcpgate::jsonrpc::code;

  struct Case {
    std::string label;
    std::string body;
    json id;             // the id the error carries (null when it cannot be read)
    std::vector<int> codes;  // acceptable JSON-RPC error codes
  };
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  const std::vector<Case> cases = {
      {"not JSON", "{\"jsonrpc\": \"2.0\", ", nullptr, {code::parse_error}},
      {"invalid UTF-8 in a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\xfe\"}", 1,
       {code::parse_error, code::method_not_found, code::invalid_request}},
      {"nesting 5000 deep", deep, nullptr, {code::parse_error, code::invalid_request}},
      {"a huge integer id", "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"ping\"}",
       nullptr, {code::invalid_request}},
      {"an object id", R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", nullptr, {code::invalid_request}},
      {"a numeric method", R"({"jsonrpc":"2.0","id":7,"method":42})", 7, {code::invalid_request}},
      {"jsonrpc 1.0", R"({"jsonrpc":"1.0","id":8,"method":"ping"})", 8, {code::invalid_request}},
      {"params a string", R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":"x"})", 9,
       {code::invalid_params, code::invalid_request}},
      {"tools/call with a numeric name", R"({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":5}})",
       10, {code::invalid_params}},
      {"an unknown tool", R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"nope"}})",
       11, {code::invalid_params}},
      {"an unknown method", R"({"jsonrpc":"2.0","id":12,"method":"no/such/method"})", 12,
       {code::method_not_found}},
      {"a bare string", R"("hello")", nullptr, {code::invalid_request}},
      {"a 1 MiB method name", "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"" + std::string(1 << 20, 'm') + "\"}",
       13, {code::method_not_found}},
  };

  int round = 0;
  for (const auto& c : cases) {
    CAPTURE(c.label);
    const int got = rpc_error_for(port, session, c.body, c.id);
    CHECK(std::find(c.codes.begin(), c.codes.end(), got) != c.codes.end());
    expect_unharmed(port, session, *legacy, ++round);
  }

  // The same bodies on the legacy transport: 400 or 413, or 202 and an error on the stream.
  {
    for (const auto& c : cases) {
      CAPTURE(c.label);
      const auto posted = exchange(port, "POST", legacy->post_target,
                                   {{"Content-Type", "application/json"}}, c.body);
      REQUIRE(posted.ok);
      CHECK((posted.status == 202 || posted.status == 400 || posted.status == 413));
      if (posted.status == 202 && !c.id.is_null()) {
        std::optional<json> message;
        for (int i = 0; i < 50; ++i) {
          message = legacy->http->next_message();
          if (!message || (message->contains("id") && (*message)["id"] == c.id)) break;
        }
        REQUIRE(message.has_value());
        CHECK(message->contains("error"));
      }
    }
    expect_unharmed(port, session, *legacy, 100);
  }
}
