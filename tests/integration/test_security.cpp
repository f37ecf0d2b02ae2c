// Bearer-token authentication, CORS for browser clients and the request body cap, over real
// HTTP on both transports.
#include "test_server.hpp"

using namespace itest;

namespace {

constexpr const char* token = "s3cret-token";
constexpr const char* browser_origin = "http://localhost:6274";

Headers with(Headers headers, std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return headers;
}

}  // namespace

TEST_CASE("--auth-token: MCP endpoints need 'Authorization: Bearer <token>', /health does not") {
  auto config = test_config();
  config.auth_token = token;
  TestServer server(config);
  const int port = server.port();
  const std::string init = initialize_request(1, latest).dump();

  SUBCASE("no header, a wrong token or another scheme: 401 with WWW-Authenticate") {
    for (const std::string header : {"", "Bearer wrong", "Bearer s3cret-toke", "Basic czNjcmV0LXRva2Vu",
                                     "Bearer s3cret-token-and-more", "s3cret-token"}) {
      CAPTURE(header);
      Headers headers = mcp_headers("", "");
      if (!header.empty()) headers.emplace_back("Authorization", header);
      const auto reply = exchange(port, "POST", "/mcp", headers, init);
      REQUIRE(reply.ok);
      CHECK(reply.status == 401);
      CHECK(reply.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
      CHECK(error_message(reply.json_body()).find("Unauthorized") != std::string::npos);
      CHECK(reply.header("Mcp-Session-Id").empty());
    }
    const auto sse = exchange(port, "GET", "/sse", {{"Accept", "text/event-stream"}}, "", 2000ms);
    CHECK(sse.status == 401);
    const auto legacy_post = exchange(port, "POST", "/messages?sessionId=x",
                                      {{"Content-Type", "application/json"}}, "{}");
    CHECK(legacy_post.status == 401);
  }

  SUBCASE("the right token (scheme in any case) is served on both transports") {
    for (const std::string scheme : {"Bearer ", "bearer ", "BEARER "}) {
      const auto reply = exchange(port, "POST", "/mcp",
                                  with(mcp_headers("", ""), "Authorization", scheme + token), init);
      REQUIRE(reply.ok);
      CHECK(reply.status == 200);
      CHECK_FALSE(reply.header("Mcp-Session-Id").empty());
    }
    RawHttp sse(port);
    REQUIRE(sse.send_request("GET", "/sse",
                             {{"Accept", "text/event-stream"}, {"Authorization", std::string("Bearer ") + token}}));
    REQUIRE(sse.read_head());
    CHECK(sse.status() == 200);
    const auto endpoint = sse.next_event();
    REQUIRE(endpoint.has_value());
    CHECK(endpoint->event == "endpoint");
  }

  SUBCASE("/health stays open to probes") {
    const auto health = server.client()->Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
  }
}

TEST_CASE("CORS: an accepted Origin gets headers on every answer; a preflight is answered") {
  auto config = test_config();
  config.auth_token = token;
  TestServer server(config);
  const int port = server.port();

  SUBCASE("preflight: 204 with methods and headers, no token needed") {
    const auto reply = exchange(port, "OPTIONS", "/mcp",
                                {{"Origin", browser_origin},
                                 {"Access-Control-Request-Method", "POST"},
                                 {"Access-Control-Request-Headers", "content-type,mcp-session-id,authorization"}});
    REQUIRE(reply.ok);
    CHECK(reply.status == 204);
    CHECK(reply.header("Access-Control-Allow-Origin") == browser_origin);
    CHECK(reply.header("Access-Control-Allow-Methods").find("POST") != std::string::npos);
    CHECK(reply.header("Access-Control-Allow-Methods").find("DELETE") != std::string::npos);
    const std::string allowed = lower(reply.header("Access-Control-Allow-Headers"));
    for (const char* h : {"content-type", "mcp-session-id", "authorization", "mcp-protocol-version", "last-event-id"})
      CHECK(allowed.find(h) != std::string::npos);
  }

  SUBCASE("a successful initialize exposes Mcp-Session-Id to the page") {
    Headers headers = with(mcp_headers("", ""), "Origin", browser_origin);
    headers.emplace_back("Authorization", std::string("Bearer ") + token);
    const auto reply = exchange(port, "POST", "/mcp", headers, initialize_request(1, latest).dump());
    REQUIRE(reply.ok);
    CHECK(reply.status == 200);
    CHECK(reply.header("Access-Control-Allow-Origin") == browser_origin);
    CHECK(reply.header("Access-Control-Expose-Headers").find("Mcp-Session-Id") != std::string::npos);
    CHECK(lower(reply.header("Vary")).find("origin") != std::string::npos);
  }

  SUBCASE("errors carry CORS headers too, so the page can read them") {
    const auto unauthorized = exchange(port, "POST", "/mcp", with(mcp_headers("", ""), "Origin", browser_origin),
                                       initialize_request(1, latest).dump());
    CHECK(unauthorized.status == 401);
    CHECK(unauthorized.header("Access-Control-Allow-Origin") == browser_origin);
    Headers headers = with(mcp_headers("no-such-session", latest), "Origin", browser_origin);
    headers.emplace_back("Authorization", std::string("Bearer ") + token);
    const auto unknown = exchange(port, "POST", "/mcp", headers, rpc_request(2, "ping").dump());
    CHECK(unknown.status == 404);
    CHECK(unknown.header("Access-Control-Allow-Origin") == browser_origin);
  }

  SUBCASE("a foreign Origin is refused with 403 and gets no CORS headers") {
    const auto reply = exchange(port, "OPTIONS", "/mcp",
                                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(reply.status == 403);
    CHECK(reply.header("Access-Control-Allow-Origin").empty());
  }
}

TEST_CASE("--max-body: a larger request body gets 413 and other sessions keep working") {
  auto config = test_config();
  config.max_body = 64 * 1024;
  TestServer server(config);
  const int port = server.port();
  const std::string session = open_session(port);
  json big = tool_call(5, "test_simple_text");
  big["params"]["arguments"]["padding"] = std::string(100 * 1024, 'x');
  const auto reply = exchange(port, "POST", "/mcp", mcp_headers(session, latest), big.dump());
  REQUIRE(reply.ok);
  CHECK(reply.status == 413);
  const auto after = mcp_post(port, session, tool_call(6, "test_simple_text"));
  CHECK(after.status == 200);
  CHECK(after.response(6).has_value());
}

TEST_CASE("a request refused before its body is read closes its connection; the next one is served") {
  // Refusals (401 here, 403 for a bad Host or Origin) are answered before the body is read; the
  // unread body must not be taken for the next request on the same keep-alive connection.
  auto config = test_config();
  config.auth_token = token;
  TestServer server(config);
  const int port = server.port();
  const std::string init = initialize_request(1, latest).dump();

  RawHttp refused(port);
  REQUIRE(refused.send_request("POST", "/mcp", mcp_headers("", ""), init));
  REQUIRE(refused.read_head());
  CHECK(refused.status() == 401);
  CHECK(lower(refused.header("Connection")) == "close");
  refused.read_body();
  CHECK(refused.wait_closed(2000ms));

  // A preflight carries no body: its connection stays open for the next request.
  RawHttp preflight(port);
  REQUIRE(preflight.send_request("OPTIONS", "/mcp",
                                 {{"Origin", browser_origin}, {"Access-Control-Request-Method", "POST"}}));
  REQUIRE(preflight.read_head());
  CHECK(preflight.status() == 204);
  CHECK(lower(preflight.header("Connection")) != "close");

  const auto served = exchange(port, "POST", "/mcp",
                               with(mcp_headers("", ""), "Authorization", std::string("Bearer ") + token), init);
  REQUIRE(served.ok);
  CHECK(served.status == 200);
}
