// mcpgate as an OAuth 2.1 resource server, end to end over HTTP: a test authorization server on
// loopback (tests/support/test_issuer.hpp) publishes metadata and keys and signs tokens; the
// server publishes Protected Resource Metadata, answers 401 with a challenge on every MCP
// endpoint of both eras without a valid token, 403 without the read scope, refuses write tools
// to read-only tokens with a tool error, binds sessions to their subject, follows key rotation,
// keeps serving on its cached keys while the issuer is down, and introspects opaque tokens.
#include "../embedded/temp_dir.hpp"
#include "modern_client.hpp"
#include "test_issuer.hpp"
#include "test_server.hpp"

using namespace itest;
using test_support::TestIssuer;

namespace {

mcpgate::Config oauth_config(const TestIssuer& issuer, const embedded_test::TempDir& dir) {
  auto config = test_config();
  config.data_path = dir.file("mcpgate.db");  // the Archon tools, manage_* among them
  config.oauth.issuer = issuer.url();
  config.oauth.jwks_min_refresh = std::chrono::seconds(0);
  return config;
}

std::string resource_of(const TestServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + "/mcp";
}

Headers bearer(Headers headers, const std::string& token) {
  headers.emplace_back("Authorization", "Bearer " + token);
  return headers;
}

Exchange post_as(int port, const std::string& token, const std::string& session, const json& message) {
  return exchange(port, "POST", "/mcp", bearer(mcp_headers(session, session.empty() ? "" : latest), token),
                  message.dump());
}

std::string open_session_as(int port, const std::string& token) {
  const auto init = post_as(port, token, "", initialize_request(1, latest));
  REQUIRE(init.status == 200);
  const std::string session = init.header("Mcp-Session-Id");
  REQUIRE(!session.empty());
  REQUIRE(post_as(port, token, session, rpc_notification("notifications/initialized")).status == 202);
  return session;
}

json call_result(const Exchange& call, const json& id) {
  const auto response = call.response(id);
  REQUIRE(response.has_value());
  REQUIRE(response->contains("result"));
  return (*response)["result"];
}

}  // namespace

TEST_CASE("oauth: protected resource metadata at both paths, 401 with a challenge on every MCP endpoint") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  TestServer server(oauth_config(issuer, dir));
  const int port = server.port();
  const std::string resource = resource_of(server);
  const std::string metadata_base =
      "http://127.0.0.1:" + std::to_string(port) + "/.well-known/oauth-protected-resource";

  for (const char* path : {"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"}) {
    CAPTURE(path);
    const auto got = exchange(port, "GET", path, {});
    REQUIRE(got.status == 200);
    const json doc = got.json_body();
    CHECK(doc["resource"] == resource);
    CHECK(doc["authorization_servers"] == json::array({issuer.url()}));
    CHECK(doc["scopes_supported"] == json::array({"mcpgate:read", "mcpgate:write"}));
    CHECK(doc["bearer_methods_supported"] == json::array({"header"}));
  }
  // The legacy endpoints are a resource of their own (SDK clients want the resource's URL to
  // prefix the endpoint's); a token for either serves both.
  const auto legacy = exchange(port, "GET", "/.well-known/oauth-protected-resource/sse", {});
  REQUIRE(legacy.status == 200);
  CHECK(legacy.json_body()["resource"] == "http://127.0.0.1:" + std::to_string(port) + "/sse");

  const json modern_call = modern_request(1, "tools/call", {{"name", "session_info"}});
  struct Probe {
    const char* method;
    std::string target;
    Headers headers;
    std::string body;
  };
  const std::vector<Probe> probes{
      {"POST", "/mcp", mcp_headers("", ""), initialize_request(1, latest).dump()},
      {"POST", "/mcp", modern_headers(modern_call), modern_call.dump()},
      {"GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", "x"}}, ""},
      {"DELETE", "/mcp", {{"Mcp-Session-Id", "x"}}, ""},
      {"GET", "/sse", {{"Accept", "text/event-stream"}}, ""},
      {"POST", "/messages?sessionId=x", {{"Content-Type", "application/json"}}, rpc_request(1, "ping").dump()}};
  for (const auto& probe : probes) {
    CAPTURE(probe.method);
    CAPTURE(probe.target);
    const auto got = exchange(port, probe.method, probe.target, probe.headers, probe.body);
    CHECK(got.status == 401);
    const std::string challenge = got.header("WWW-Authenticate");
    const bool legacy_endpoint = probe.target.find("/mcp") != 0;
    CHECK(challenge.find("Bearer resource_metadata=\"" + metadata_base +
                         (legacy_endpoint ? "/sse" : "/mcp") + "\"") == 0);
    CHECK(challenge.find("scope=\"mcpgate:read mcpgate:write\"") != std::string::npos);
    // A bad token: the same, with error="invalid_token".
    const auto bad = exchange(port, probe.method, probe.target, bearer(probe.headers, "eyJ.eyJ.x"), probe.body);
    CHECK(bad.status == 401);
    CHECK(bad.header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
  }
  CHECK(exchange(port, "GET", "/health", {}).status == 200);  // stays open to probes
  // The metadata is read with GET; anything else there is an ordinary (refused) request.
  CHECK(exchange(port, "POST", "/.well-known/oauth-protected-resource", {{"Content-Type", "application/json"}}, "{}").status == 401);
}

TEST_CASE("oauth: a valid token opens a session; session_info shows its subject; tokens of other resources are refused") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  TestServer server(oauth_config(issuer, dir));
  const int port = server.port();
  const std::string token = issuer.token(resource_of(server), "alice");
  const std::string session = open_session_as(port, token);
  const json info = json::parse(result_text(*post_as(port, token, session, tool_call(2, "session_info")).response(2)));
  CHECK(info["session_management"]["subject"] == "alice");

  // A token for the legacy endpoints' resource serves this server too.
  const std::string legacy_resource = "http://127.0.0.1:" + std::to_string(port) + "/sse";
  CHECK(post_as(port, issuer.token(legacy_resource, "alice"), session, tool_call(3, "session_info")).status == 200);
  // A token for another resource (RFC 8707 audience) or from another issuer.
  CHECK(post_as(port, issuer.token("http://127.0.0.1:1/mcp"), session, tool_call(3, "session_info")).status == 401);
  auto foreign = issuer.claims(resource_of(server));
  foreign["iss"] = "http://elsewhere.test";
  CHECK(post_as(port, issuer.key()->sign(foreign), session, tool_call(3, "session_info")).status == 401);
  // Expired past the leeway; and within it (clock skew).
  auto expired = issuer.claims(resource_of(server));
  expired["exp"] = test_support::unix_now() - 600;
  CHECK(post_as(port, issuer.key()->sign(expired), session, tool_call(3, "session_info")).status == 401);
  expired["exp"] = test_support::unix_now() - 20;
  CHECK(post_as(port, issuer.key()->sign(expired), session, tool_call(3, "session_info")).status == 200);
}

TEST_CASE("oauth: a session is bound to its subject: another user's token gets 404, on both transports") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  TestServer server(oauth_config(issuer, dir));
  const int port = server.port();
  const std::string alice = issuer.token(resource_of(server), "alice");
  const std::string bob = issuer.token(resource_of(server), "bob");
  const std::string session = open_session_as(port, alice);
  CHECK(post_as(port, bob, session, tool_call(2, "session_info")).status == 404);
  CHECK(exchange(port, "DELETE", "/mcp", bearer({{"Mcp-Session-Id", session}}, bob)).status == 404);
  CHECK(post_as(port, alice, session, tool_call(3, "session_info")).status == 200);  // still alice's

  // Legacy SSE: the stream is alice's; bob cannot post into it.
  RawHttp stream(port);
  REQUIRE(stream.send_request("GET", "/sse", bearer({{"Accept", "text/event-stream"}}, alice)));
  REQUIRE(stream.read_head());
  REQUIRE(stream.status() == 200);
  const auto endpoint = stream.next_event();
  REQUIRE(endpoint.has_value());
  const std::string target = "/" + endpoint->data;
  const Headers json_type{{"Content-Type", "application/json"}};
  CHECK(exchange(port, "POST", target, bearer(json_type, bob), initialize_request(1, "2024-11-05").dump()).status == 404);
  CHECK(exchange(port, "POST", target, bearer(json_type, alice), initialize_request(1, "2024-11-05").dump()).status == 202);
}

TEST_CASE("oauth: scopes: 403 insufficient_scope without the read scope; write tools refused to read-only tokens, still listed") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  TestServer server(oauth_config(issuer, dir));
  const int port = server.port();
  const auto no_read = post_as(port, issuer.token(resource_of(server), "carol", "openid profile"), "",
                               initialize_request(1, latest));
  CHECK(no_read.status == 403);
  const std::string challenge = no_read.header("WWW-Authenticate");
  CHECK(challenge.find("error=\"insufficient_scope\"") != std::string::npos);
  CHECK(challenge.find("scope=\"mcpgate:read\"") != std::string::npos);
  CHECK(challenge.find("resource_metadata=") != std::string::npos);

  const std::string reader = issuer.token(resource_of(server), "dave", "mcpgate:read");
  const std::string session = open_session_as(port, reader);
  const auto list = post_as(port, reader, session, rpc_request(2, "tools/list"));
  const json listing = call_result(list, 2);
  bool listed = false;
  for (const auto& tool : listing["tools"]) listed = listed || tool["name"] == "manage_project";
  CHECK(listed);
  const json refused = call_result(
      post_as(port, reader, session, tool_call(3, "manage_project", {{"action", "create"}, {"title", "x"}})), 3);
  CHECK(refused["isError"] == true);
  CHECK(refused["content"][0]["text"].get<std::string>().find("needs the OAuth scope 'mcpgate:write'") != std::string::npos);
  CHECK(call_result(post_as(port, reader, session, tool_call(4, "find_projects")), 4).value("isError", false) == false);

  // The same user after step-up: a token with the write scope, on the same session.
  const std::string writer = issuer.token(resource_of(server), "dave", "mcpgate:write");
  const json created = call_result(
      post_as(port, writer, session, tool_call(5, "manage_project", {{"action", "create"}, {"title", "x"}})), 5);
  CHECK(created["content"][0]["text"].get<std::string>().find("Forbidden") == std::string::npos);

  // The modern era: the same rule, statelessly.
  const json call = modern_request(6, "tools/call", {{"name", "manage_project"}, {"arguments", {{"action", "create"}, {"title", "y"}}}});
  const auto modern = modern_post(port, call, bearer(modern_headers(call), reader));
  REQUIRE(modern.status == 200);
  CHECK(call_result(modern, 6)["isError"] == true);
}

TEST_CASE("oauth: key rotation is followed; the issuer going down leaves the cached keys serving") {
  auto issuer = std::make_unique<TestIssuer>();
  embedded_test::TempDir dir;
  TestServer server(oauth_config(*issuer, dir));
  const int port = server.port();
  const std::string resource = resource_of(server);
  const std::string first = issuer->token(resource);
  CHECK(post_as(port, first, "", initialize_request(1, latest)).status == 200);
  const int fetches = issuer->jwks_fetches();

  for (const char* alg : {"RS256", "EdDSA"}) {
    CAPTURE(alg);
    issuer->rotate(alg, std::string("rotated-") + alg);
    CHECK(post_as(port, issuer->token(resource), "", initialize_request(1, latest)).status == 200);
  }
  CHECK(issuer->jwks_fetches() == fetches + 2);  // one refetch per new kid

  const std::string last = issuer->token(resource);
  issuer.reset();  // down
  CHECK(post_as(port, first, "", initialize_request(1, latest)).status == 200);
  CHECK(post_as(port, last, "", initialize_request(1, latest)).status == 200);
}

TEST_CASE("oauth: the static --auth-token keeps working beside OAuth; opaque tokens are introspected") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  auto config = oauth_config(issuer, dir);
  config.auth_token = "static-secret";
  config.oauth.introspection_url = issuer.url() + "/introspect";
  config.oauth.client_id = "mcpgate";
  config.oauth.client_secret = "s3cret";
  TestServer server(std::move(config));
  const int port = server.port();
  const std::string session = open_session_as(port, "static-secret");
  CHECK(call_result(post_as(port, "static-secret", session,
                            tool_call(2, "manage_project", {{"action", "create"}, {"title", "z"}})), 2)["content"][0]["text"]
            .get<std::string>()
            .find("Forbidden") == std::string::npos);
  // A static-token session is nobody's: an OAuth user cannot take it over.
  CHECK(post_as(port, issuer.token(resource_of(server)), session, tool_call(3, "session_info")).status == 404);

  issuer.add_opaque("opaque-1", {{"active", true}, {"sub", "erin"}, {"scope", "mcpgate:read"},
                                 {"aud", resource_of(server)}, {"iss", issuer.url()},
                                 {"exp", test_support::unix_now() + 600}});
  const std::string opaque_session = open_session_as(port, "opaque-1");
  const json info = json::parse(result_text(*post_as(port, "opaque-1", opaque_session, tool_call(4, "session_info")).response(4)));
  CHECK(info["session_management"]["subject"] == "erin");
  CHECK(issuer.introspections() == 1);  // cached for the later requests
  CHECK(post_as(port, "opaque-unknown", "", initialize_request(1, latest)).status == 401);
}

TEST_CASE("oauth: a session carried on by another process on the same store stays bound to its subject") {
  TestIssuer issuer;
  embedded_test::TempDir dir;
  auto config = oauth_config(issuer, dir);
  // Both processes are one resource, as behind a balancer.
  config.oauth.resource = "http://127.0.0.1/mcp";
  config.session_store = dir.file("sessions.db");
  TestServer a(config);
  TestServer b(config);
  const std::string alice = issuer.token(config.oauth.resource, "alice");
  const std::string bob = issuer.token(config.oauth.resource, "bob");
  const std::string session = open_session_as(a.port(), alice);

  CHECK(post_as(b.port(), bob, session, tool_call(2, "session_info")).status == 404);
  const auto call = post_as(b.port(), alice, session, tool_call(3, "session_info"));
  REQUIRE(call.status == 200);
  const json info = json::parse(result_text(*call.response(3)), nullptr, false);
  CHECK(info["session_management"]["current_session"] == session);
  CHECK(info["session_management"]["subject"] == "alice");
  CHECK(post_as(b.port(), bob, session, tool_call(4, "session_info")).status == 404);
}
