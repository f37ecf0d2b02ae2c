// The modern era (MCP 2026-07-28) on /mcp: each request served on its own from its _meta, with
// the headers checked against the body and the statuses and codes the revision gives, beside
// the session revisions on the same endpoint.
#include "modern_client.hpp"
#include "mcpgate/util/base64.hpp"

using namespace itest;

namespace {

json result_of(const Exchange& exchange, const json& id) {
  const auto response = exchange.response(id);
  REQUIRE(response.has_value());
  INFO(response->dump());
  REQUIRE(response->contains("result"));
  return (*response)["result"];
}

// The error of the exchange's response to `id` (its JSON body), with the HTTP status.
json error_of(const Exchange& exchange, const json& id, int status) {
  INFO(exchange.body);
  CHECK(exchange.status == status);
  const auto response = exchange.response(id);
  REQUIRE(response.has_value());
  REQUIRE(response->contains("error"));
  CHECK((*response)["id"] == id);
  return (*response)["error"];
}

int count_messages(const Exchange& exchange, std::string_view method) {
  int n = 0;
  for (const auto& message : exchange.messages())
    if (message.value("method", "") == method) ++n;
  return n;
}

}  // namespace

TEST_CASE("modern: server/discover answers without a session") {
  TestServer server;
  const auto discover = modern_post(server.port(), modern_request(1, "server/discover"));
  REQUIRE(discover.status == 200);
  CHECK(discover.header("Mcp-Session-Id").empty());
  const json result = result_of(discover, 1);
  CHECK(result["resultType"] == "complete");
  CHECK(result["supportedVersions"] == json::array({modern_revision}));
  CHECK(result["capabilities"].contains("tools"));
  CHECK(result["capabilities"].contains("prompts"));
  // Resource updates reach subscriptions/listen streams that name the URI.
  CHECK(result["capabilities"]["resources"]["subscribe"] == true);
  CHECK(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "mcpgate");
  CHECK(result["ttlMs"].is_number_integer());
  CHECK(result["ttlMs"].get<long long>() >= 0);
  CHECK(result["cacheScope"] == "public");
}

TEST_CASE("modern: removed and unknown methods are 404 with -32601 and the request's id") {
  TestServer server;
  int id = 10;
  for (const char* method : {"initialize", "ping", "logging/setLevel", "resources/subscribe",
                             "resources/unsubscribe", "no/such/method"}) {
    CAPTURE(method);
    const auto answer = modern_post(server.port(), modern_request(++id, method));
    CHECK(error_of(answer, id, 404)["code"] == -32601);
  }
}

TEST_CASE("modern: the _meta envelope is required and its version must be served") {
  TestServer server;
  const int port = server.port();
  const json bare = rpc_request(1, "server/discover", json::object());
  CHECK(error_of(modern_post(port, bare), 1, 400)["code"] == -32602);

  json no_capabilities = modern_request(2, "server/discover");
  no_capabilities["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  CHECK(error_of(modern_post(port, no_capabilities), 2, 400)["code"] == -32602);

  json no_info = modern_request(3, "server/discover");
  no_info["params"]["_meta"].erase("io.modelcontextprotocol/clientInfo");
  CHECK(modern_post(port, no_info).status == 200);

  // A version no one serves, named alike in header and body: the versions that are served.
  const json future = modern_request(4, "server/discover",
                                     {{"_meta", modern_meta(json::object(), "2099-01-01")}});
  const auto unsupported = modern_post(
      port, future, with_header(modern_headers(future), "MCP-Protocol-Version", "2099-01-01"));
  const json error = error_of(unsupported, 4, 400);
  CHECK(error["code"] == -32022);
  CHECK(error["data"]["requested"] == "2099-01-01");
  CHECK(error["data"]["supported"] == json::array({modern_revision}));

  // The header says one version, the body another.
  CHECK(error_of(modern_post(port, future), 4, 400)["code"] == -32020);
  const json discover = modern_request(5, "server/discover");
  const auto headerless = modern_post(
      port, discover, with_header(modern_headers(discover), "MCP-Protocol-Version", ""));
  CHECK(error_of(headerless, 5, 400)["code"] == -32020);
}

TEST_CASE("modern: Mcp-Method and Mcp-Name must say what the body says") {
  TestServer server;
  const int port = server.port();
  const json list = modern_request(1, "tools/list");
  CHECK(error_of(modern_post(port, list, with_header(modern_headers(list), "Mcp-Method", "")), 1,
                 400)["code"] == -32020);
  CHECK(error_of(modern_post(port, list,
                             with_header(modern_headers(list), "Mcp-Method", "TOOLS/LIST")),
                 1, 400)["code"] == -32020);
  // Header names are case-insensitive.
  CHECK(modern_post(port, list, with_header(modern_headers(list), "mcp-method", "tools/list"))
            .status == 200);

  const json call = modern_request(2, "tools/call", {{"name", "test_simple_text"}});
  CHECK(error_of(modern_post(port, call, with_header(modern_headers(call), "Mcp-Name", "")), 2,
                 400)["code"] == -32020);
  CHECK(error_of(modern_post(port, call,
                             with_header(modern_headers(call), "Mcp-Name", "test_error_handling")),
                 2, 400)["code"] == -32020);
  const std::string encoded = "=?base64?" + mcpgate::util::base64_encode("test_simple_text") + "?=";
  const auto decoded = modern_post(port, call, with_header(modern_headers(call), "Mcp-Name", encoded));
  CHECK(decoded.status == 200);
  CHECK(result_text(*decoded.response(2)) == "This is a simple text response for testing.");
  CHECK(error_of(modern_post(port, call, with_header(modern_headers(call), "Mcp-Name",
                                                     "=?base64?dGVzdF9zaW1wbGVfdGV4dA?=")),
                 2, 400)["code"] == -32020);

  const json read = modern_request(3, "resources/read", {{"uri", "test://static-text"}});
  CHECK(modern_post(port, read).status == 200);
  CHECK(error_of(modern_post(port, read,
                             with_header(modern_headers(read), "Mcp-Name", "test://static-binary")),
                 3, 400)["code"] == -32020);
}

TEST_CASE("modern: an argument marked x-mcp-header must match its Mcp-Param header") {
  TestServer server;
  const int port = server.port();
  const json call = modern_request(1, "tools/call",
                                   {{"name", "test_custom_header"},
                                    {"arguments", {{"region", "eu-west-1"}}}});
  const auto headers = modern_headers(call);
  const auto sent = modern_post(port, call, with_header(headers, "Mcp-Param-Region", "eu-west-1"));
  CHECK(sent.status == 200);
  CHECK(result_text(*sent.response(1)) == "Region: eu-west-1");
  CHECK(modern_post(port, call,
                    with_header(headers, "Mcp-Param-Region",
                                "=?base64?" + mcpgate::util::base64_encode("eu-west-1") + "?="))
            .status == 200);
  CHECK(error_of(modern_post(port, call, headers), 1, 400)["code"] == -32020);
  CHECK(error_of(modern_post(port, call, with_header(headers, "Mcp-Param-Region", "us-east-1")),
                 1, 400)["code"] == -32020);
  CHECK(error_of(modern_post(port, call, with_header(headers, "Mcp-Param-Region", "=?base64?!!?=")),
                 1, 400)["code"] == -32020);
}

TEST_CASE("modern: results carry resultType, serverInfo, and caching hints where cacheable") {
  TestServer server;
  const int port = server.port();
  const json tools = result_of(modern_post(port, modern_request(1, "tools/list")), 1);
  CHECK(tools["resultType"] == "complete");
  CHECK(tools["cacheScope"] == "public");
  CHECK(tools["ttlMs"].get<long long>() > 0);
  CHECK(tools["_meta"]["io.modelcontextprotocol/serverInfo"].contains("version"));

  const json read = result_of(
      modern_post(port, modern_request(2, "resources/read", {{"uri", "test://static-text"}})), 2);
  CHECK(read["cacheScope"] == "private");
  CHECK(read["ttlMs"] == 0);

  const json call =
      result_of(modern_post(port, modern_request(3, "tools/call", {{"name", "test_simple_text"}})), 3);
  CHECK(call["resultType"] == "complete");
  CHECK_FALSE(call.contains("ttlMs"));

  const auto missing = modern_post(
      port, modern_request(4, "resources/read",
                           {{"uri", "test://nonexistent-resource-for-conformance-testing"}}));
  const auto response = missing.response(4);
  REQUIRE(response.has_value());
  CHECK((*response)["error"]["code"] == -32602);
  CHECK((*response)["error"]["data"]["uri"] == "test://nonexistent-resource-for-conformance-testing");
}

TEST_CASE("modern: log messages only when the request's _meta names a level") {
  TestServer server;
  const int port = server.port();
  const auto quiet = modern_post(port, modern_request(1, "tools/call", {{"name", "test_logging_tool"}}));
  CHECK(result_text(*quiet.response(1)) == "Logged two messages");
  CHECK(count_messages(quiet, "notifications/message") == 0);

  json meta = modern_meta();
  meta["io.modelcontextprotocol/logLevel"] = "info";
  const auto chatty = modern_post(
      port, modern_request(2, "tools/call", {{"name", "test_logging_tool"}, {"_meta", meta}}));
  CHECK(count_messages(chatty, "notifications/message") == 2);
  CHECK(chatty.response(2).has_value());

  meta["io.modelcontextprotocol/logLevel"] = "warning";
  const auto warnings = modern_post(
      port, modern_request(3, "tools/call", {{"name", "test_logging_tool"}, {"_meta", meta}}));
  CHECK(count_messages(warnings, "notifications/message") == 1);

  meta["io.modelcontextprotocol/logLevel"] = "loud";
  CHECK(error_of(modern_post(port, modern_request(4, "tools/call",
                                                  {{"name", "test_logging_tool"}, {"_meta", meta}})),
                 4, 400)["code"] == -32602);
}

TEST_CASE("modern: progress streams before the response on the request's own stream") {
  TestServer server;
  json meta = modern_meta();
  meta["progressToken"] = "p1";
  const auto answer = modern_post(
      server.port(), modern_request(1, "tools/call", {{"name", "test_tool_with_progress"}, {"_meta", meta}}));
  REQUIRE(answer.content_type.rfind("text/event-stream", 0) == 0);
  const auto messages = answer.messages();
  REQUIRE(messages.size() == 4);
  for (int i = 0; i < 3; ++i) CHECK(messages[i]["method"] == "notifications/progress");
  CHECK(messages[3]["id"] == 1);
  for (const auto& event : answer.events) CHECK(event.id.empty());  // nothing to resume
}

TEST_CASE("modern: a capability the request did not declare is refused with -32021") {
  TestServer server;
  const json call = modern_request(1, "tools/call",
                                   {{"name", "test_sampling"}, {"arguments", {{"prompt", "hi"}}}});
  const json error = error_of(modern_post(server.port(), call), 1, 400);
  CHECK(error["code"] == -32021);
  CHECK(error["data"]["requiredCapabilities"]["sampling"].is_object());
}

TEST_CASE("modern and session eras on one endpoint at once") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);
  const auto modern_call =
      modern_post(port, modern_request(1, "tools/call", {{"name", "test_simple_text"}}));
  CHECK(modern_call.status == 200);
  CHECK(modern_call.header("Mcp-Session-Id").empty());
  // A session id beside the modern envelope is ignored, and never echoed.
  const json with_session = modern_request(2, "tools/list");
  const auto ignored = modern_post(port, with_session,
                                   with_header(modern_headers(with_session), "Mcp-Session-Id", session));
  CHECK(ignored.status == 200);
  CHECK(ignored.header("Mcp-Session-Id").empty());
  CHECK(result_of(ignored, 2)["resultType"] == "complete");

  const auto legacy = mcp_post(port, session, tool_call(3, "test_simple_text"));
  const json result = result_of(legacy, 3);
  CHECK_FALSE(result.contains("resultType"));  // the session keeps its revision's shapes
  const auto ping = mcp_post(port, session, rpc_request(4, "ping"));
  CHECK(ping.response(4)->contains("result"));

  // A modern client has no GET stream and no session to DELETE.
  Headers modern_get{{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", modern_revision}};
  CHECK(exchange(port, "GET", "/mcp", modern_get).status == 405);
  CHECK(exchange(port, "DELETE", "/mcp", modern_get).status == 405);
}
