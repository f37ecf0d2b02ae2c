// JSON-RPC errors that name the real problem, on both transports: a message that is not valid
// JSON-RPC gets 400 with -32600 (-32700 for bad JSON) whether it comes with a valid session
// id, an unknown one or none; every error echoes the request's id when it could be read.
#include "test_server.hpp"

using namespace itest;

// The whole file in a named namespace: the integration tests are compiled as one unity file.
namespace rpc_errors_test {

namespace code = mcpgate::jsonrpc::code;

struct Bad {
  std::string label;
  std::string body;
  int code;
  json id;  // what the error must echo
};

const std::vector<Bad>& bad_messages() {
  static const std::vector<Bad> cases = {
      {"not JSON", "{\"jsonrpc\":\"2.0\",", code::parse_error, nullptr},
      {"a number", "5", code::invalid_request, nullptr},
      {"a string", R"("initialize")", code::invalid_request, nullptr},
      {"null", "null", code::invalid_request, nullptr},
      {"true", "true", code::invalid_request, nullptr},
      {"an empty batch", "[]", code::invalid_request, nullptr},
      {"jsonrpc 1.0", R"({"jsonrpc":"1.0","id":3,"method":"ping"})", code::invalid_request, 3},
      {"no jsonrpc", R"({"id":"four","method":"ping"})", code::invalid_request, "four"},
      {"jsonrpc a number", R"({"jsonrpc":2.0,"id":5,"method":"ping"})", code::invalid_request, 5},
      {"a null id", R"({"jsonrpc":"2.0","id":null,"method":"ping"})", code::invalid_request, nullptr},
      {"an object id", R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", code::invalid_request,
       nullptr},
      {"a boolean id", R"({"jsonrpc":"2.0","id":true,"method":"ping"})", code::invalid_request, nullptr},
      {"an array id", R"({"jsonrpc":"2.0","id":[1],"method":"ping"})", code::invalid_request, nullptr},
      {"no method", R"({"jsonrpc":"2.0","id":6})", code::invalid_request, 6},
      {"no method, params", R"({"jsonrpc":"2.0","id":6,"params":{}})", code::invalid_request, 6},
      {"a numeric method", R"({"jsonrpc":"2.0","id":7,"method":5})", code::invalid_request, 7},
      {"a null method", R"({"jsonrpc":"2.0","id":7,"method":null})", code::invalid_request, 7},
      {"params a string", R"({"jsonrpc":"2.0","id":9,"method":"ping","params":"x"})",
       code::invalid_request, 9},
      // The report: a bad initialize was told "Mcp-Session-Id header is required".
      {"initialize with jsonrpc 1.0",
       R"({"jsonrpc":"1.0","id":8,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}})",
       code::invalid_request, 8},
      {"initialize with a null id",
       R"({"jsonrpc":"2.0","id":null,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}})",
       code::invalid_request, nullptr},
      {"initialize with a boolean id",
       R"({"jsonrpc":"2.0","id":false,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}})",
       code::invalid_request, nullptr},
  };
  return cases;
}

void expect_error(const Exchange& reply, const Bad& bad) {
  REQUIRE(reply.ok);
  CHECK(reply.status == 400);
  const json body = reply.json_body();
  CHECK(error_code(body) == bad.code);
  REQUIRE(body.is_object());
  CHECK(body.contains("id"));
  CHECK(body.value("id", json()) == bad.id);
  // Named for what is wrong with the message, not for a header.
  const std::string message = error_message(body);
  CHECK(message.find(bad.code == code::parse_error ? "Parse error" : "Invalid Request") == 0);
  CHECK(message.find("Session") == std::string::npos);
  CHECK(message.find("session") == std::string::npos);
  CHECK(reply.header("Mcp-Session-Id").empty());
}

// The session still answers.
void expect_alive(int port, const std::string& session, int id) {
  const auto pong = mcp_post(port, session, rpc_request(id, "ping"));
  CHECK(pong.status == 200);
  const auto response = pong.response(id);
  REQUIRE(response.has_value());
  CHECK(response->contains("result"));
}


TEST_CASE("Streamable HTTP: an invalid message is 400 -32600/-32700 with or without a session id") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  const std::string unknown = "AAAAAAAAAAAAAAAAAAAAAA";
  int round = 100;
  for (const auto& bad : bad_messages()) {
    CAPTURE(bad.label);
    for (const std::string& with : {std::string(), session, unknown}) {
      CAPTURE(with);
      expect_error(exchange(port, "POST", "/mcp", mcp_headers(with, with.empty() ? "" : latest), bad.body),
                   bad);
      // Also with no MCP-Protocol-Version and an Accept that takes JSON only.
      expect_error(exchange(port, "POST", "/mcp", mcp_headers(with, "", "application/json"), bad.body),
                   bad);
    }
    expect_alive(port, session, ++round);
  }
}

TEST_CASE("legacy SSE: an invalid message is 400 -32600/-32700 with or without a sessionId") {
  TestServer server;
  const int port = server.port();
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());
  const Headers headers{{"Content-Type", "application/json"}};
  for (const auto& bad : bad_messages()) {
    CAPTURE(bad.label);
    for (const std::string& target : {legacy->post_target, std::string("/messages"),
                                     std::string("/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAA")}) {
      CAPTURE(target);
      expect_error(exchange(port, "POST", target, headers, bad.body), bad);
    }
  }
  // The stream got nothing for them, and still serves its session.
  const auto accepted = exchange(port, "POST", legacy->post_target, headers, rpc_request(42, "ping").dump());
  CHECK(accepted.status == 202);
  const auto message = legacy->http->next_message();
  REQUIRE(message.has_value());
  CHECK((*message)["id"] == 42);
  CHECK(message->contains("result"));
}

TEST_CASE("errors about a valid request echo its id, whichever check refuses it") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  const json ping = rpc_request(21, "ping");
  const json named = rpc_request("req-22", "tools/list");

  const auto check_reply = [](const Exchange& reply, int status, int rpc_code, const json& id) {
    REQUIRE(reply.ok);
    CHECK(reply.status == status);
    const json body = reply.json_body();
    CHECK(error_code(body) == rpc_code);
    CHECK(body.value("id", json()) == id);
  };

  SUBCASE("Streamable HTTP") {
    // No session id, an unknown one, two of them, an unsupported protocol version, Accept.
    check_reply(exchange(port, "POST", "/mcp", mcp_headers("", latest), ping.dump()), 400,
                code::transport_error, 21);
    check_reply(exchange(port, "POST", "/mcp", mcp_headers("AAAAAAAAAAAAAAAAAAAAAA", latest), named.dump()),
                404, code::session_not_found, "req-22");
    Headers twice = mcp_headers(session, latest);
    twice.emplace_back("Mcp-Session-Id", session);
    check_reply(exchange(port, "POST", "/mcp", twice, ping.dump()), 400, code::transport_error, 21);
    check_reply(exchange(port, "POST", "/mcp", mcp_headers(session, "1999-01-01"), ping.dump()), 400,
                code::transport_error, 21);
    check_reply(exchange(port, "POST", "/mcp", mcp_headers(session, latest, "text/plain"), ping.dump()),
                406, code::transport_error, 21);
    // A notification has no id to echo.
    check_reply(exchange(port, "POST", "/mcp", mcp_headers("", latest),
                         rpc_notification("notifications/initialized").dump()),
                400, code::transport_error, nullptr);
  }

  SUBCASE("legacy SSE") {
    const Headers headers{{"Content-Type", "application/json"}};
    check_reply(exchange(port, "POST", "/messages", headers, ping.dump()), 400, code::transport_error, 21);
    check_reply(exchange(port, "POST", "/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAA", headers, named.dump()),
                404, code::session_not_found, "req-22");
    // A Streamable HTTP session is not a legacy one.
    check_reply(exchange(port, "POST", "/messages?sessionId=" + session, headers, ping.dump()), 404,
                code::session_not_found, 21);
  }
}

}  // namespace rpc_errors_test
