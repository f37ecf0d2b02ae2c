// subscriptions/listen (MCP 2026-07-28) and list-changed notifications that are really sent:
// the acknowledgement first, only what was asked for, each tagged with the subscription id; a
// change reaching listen streams and 2025-11-25 sessions alike; the stream's end at shutdown
// and when the client closes it; the budget on resourceSubscriptions.
#include "test_server.hpp"

#include <future>

using namespace itest;

namespace {

constexpr const char* listen_revision = "2026-07-28";
constexpr const char* subscription_key = "io.modelcontextprotocol/subscriptionId";

json listen_params(json params = json::object()) {
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", listen_revision},
                     {"io.modelcontextprotocol/clientCapabilities", json::object()},
                     {"io.modelcontextprotocol/clientInfo", {{"name", "listen-test"}, {"version", "1"}}}};
  return params;
}

Headers listen_headers(const std::string& method, const std::string& name = {}) {
  Headers headers{{"Accept", accept_both},
                  {"Content-Type", "application/json"},
                  {"MCP-Protocol-Version", listen_revision},
                  {"Mcp-Method", method}};
  if (!name.empty()) headers.emplace_back("Mcp-Name", name);
  return headers;
}

// One modern request; its response (null when none came).
json listen_call(int port, const json& id, const std::string& method, json params = {},
                    const std::string& name = {}) {
  const auto answer = exchange(port, "POST", "/mcp", listen_headers(method, name),
                               rpc_request(id, method, listen_params(std::move(params))).dump());
  REQUIRE(answer.ok);
  return answer.response(id).value_or(json());
}

json call_tool(int port, const json& id, const std::string& tool) {
  return listen_call(port, id, "tools/call", {{"name", tool}, {"arguments", json::object()}},
                        tool);
}

// A listen stream, its head read.
std::unique_ptr<RawHttp> open_listen(int port, const json& id, json notifications) {
  auto http = std::make_unique<RawHttp>(port);
  REQUIRE(http->connected());
  REQUIRE(http->send_request(
      "POST", "/mcp", listen_headers("subscriptions/listen"),
      rpc_request(id, "subscriptions/listen",
                  listen_params({{"notifications", std::move(notifications)}}))
          .dump()));
  REQUIRE(http->read_head());
  return http;
}

// The next message on a stream (heartbeats skipped); null when none came in time.
json next(RawHttp& http) { return http.next_message().value_or(json()); }

std::vector<std::string> tool_names(int port) {
  const json listed = listen_call(port, "list", "tools/list");
  std::vector<std::string> names;
  for (const auto& tool : listed["result"]["tools"]) names.push_back(tool["name"]);
  return names;
}

bool lists(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// mcpgate_listen_streams from /metrics (-1 when absent).
long listen_streams(TestServer& server) {
  const std::string text = server.app().metrics();
  const std::string key = "\nmcpgate_listen_streams ";
  const auto at = text.find(key);
  return at == std::string::npos ? -1 : std::strtol(text.c_str() + at + key.size(), nullptr, 10);
}

}  // namespace

TEST_CASE("listen: the acknowledgement comes first, tagged with the request's id, naming what is honoured") {
  TestServer server;
  auto listen = open_listen(server.port(), "listen-1",
                            {{"toolsListChanged", true},
                             {"promptsListChanged", true},
                             {"resourcesListChanged", true},
                             {"resourceSubscriptions",
                              json::array({"test://watched-resource", "test://no-such-thing"})}});
  CHECK(listen->status() == 200);
  CHECK(listen->header("Content-Type").rfind("text/event-stream", 0) == 0);
  const json ack = next(*listen);
  CHECK(ack["method"] == "notifications/subscriptions/acknowledged");
  CHECK(ack["params"]["_meta"][subscription_key] == "listen-1");
  // The resource list never changes and the unknown URI does not exist: both left out.
  CHECK(ack["params"]["notifications"] ==
        json{{"toolsListChanged", true},
             {"promptsListChanged", true},
             {"resourceSubscriptions", json::array({"test://watched-resource"})}});
  CHECK_FALSE(ack.contains("id"));
}

TEST_CASE("listen: a tool change reaches a listen stream and a 2025-11-25 session's GET stream") {
  TestServer server;
  const int port = server.port();
  auto listen = open_listen(port, 7, {{"toolsListChanged", true}});
  REQUIRE(next(*listen)["method"] == "notifications/subscriptions/acknowledged");
  const std::string session = open_session(port, latest);
  auto get = open_get_stream(port, session);
  REQUIRE(get->status() == 200);

  REQUIRE_FALSE(lists(tool_names(port), "test_dynamic_tool"));
  const json added = call_tool(port, 1, "test_trigger_tool_change");
  CHECK(result_text(added) == "Added test_dynamic_tool");
  CHECK(lists(tool_names(port), "test_dynamic_tool"));

  const json heard = next(*listen);
  CHECK(heard["method"] == "notifications/tools/list_changed");
  CHECK(heard["params"]["_meta"][subscription_key] == 7);
  json on_session;
  for (int i = 0; i < 3 && on_session.is_null(); ++i) {  // past the priming event
    const json message = next(*get);
    if (message.is_null()) break;
    if (message.value("method", "") == "notifications/tools/list_changed") on_session = message;
  }
  CHECK(on_session["method"] == "notifications/tools/list_changed");

  // And back: the list is what it was, and the stream hears that too.
  CHECK(result_text(call_tool(port, 2, "test_trigger_tool_change")) ==
        "Removed test_dynamic_tool");
  CHECK_FALSE(lists(tool_names(port), "test_dynamic_tool"));
  CHECK(next(*listen)["method"] == "notifications/tools/list_changed");
}

TEST_CASE("listen: a stream that asked for prompts only hears nothing of a tool change") {
  TestServer server;
  const int port = server.port();
  auto listen = open_listen(port, "p", {{"promptsListChanged", true}});
  REQUIRE(next(*listen)["method"] == "notifications/subscriptions/acknowledged");
  CHECK(result_text(call_tool(port, 1, "test_trigger_tool_change")) == "Added test_dynamic_tool");
  CHECK(result_text(call_tool(port, 2, "test_trigger_prompt_change")) ==
        "Added test_dynamic_prompt");
  // The first message after the acknowledgement is the prompt change: the tool change, which
  // came first, was never sent.
  const json heard = next(*listen);
  CHECK(heard["method"] == "notifications/prompts/list_changed");
  CHECK(heard["params"]["_meta"][subscription_key] == "p");
  const json prompts = listen_call(port, "pl", "prompts/list");
  bool dynamic = false;
  for (const auto& prompt : prompts["result"]["prompts"])
    dynamic = dynamic || prompt["name"] == "test_dynamic_prompt";
  CHECK(dynamic);
}

TEST_CASE("listen: a resource update reaches the streams and sessions subscribed to it") {
  TestServer server;
  const int port = server.port();
  auto listen = open_listen(port, 3, {{"resourceSubscriptions", json::array({"test://watched-resource"})}});
  REQUIRE(next(*listen)["method"] == "notifications/subscriptions/acknowledged");
  const std::string session = open_session(port, latest);
  auto get = open_get_stream(port, session);
  const auto subscribed = mcp_post(port, session,
                                   rpc_request(5, "resources/subscribe", {{"uri", "test://watched-resource"}}));
  REQUIRE(subscribed.response(5).has_value());

  CHECK(result_text(call_tool(port, 1, "test_trigger_resource_update")) ==
        "test://watched-resource is now at update 1");
  const json heard = next(*listen);
  CHECK(heard["method"] == "notifications/resources/updated");
  CHECK(heard["params"]["uri"] == "test://watched-resource");
  CHECK(heard["params"]["_meta"][subscription_key] == 3);
  json on_session;
  for (int i = 0; i < 3 && on_session.is_null(); ++i) {
    const json message = next(*get);
    if (message.is_null()) break;
    if (message.value("method", "") == "notifications/resources/updated") on_session = message;
  }
  CHECK(on_session["params"]["uri"] == "test://watched-resource");
  const json read = listen_call(port, "r", "resources/read", {{"uri", "test://watched-resource"}},
                                   "test://watched-resource");
  CHECK(read["result"]["contents"][0]["text"] == "Watched resource content (update 1)");
}

TEST_CASE("listen: server shutdown ends the stream with the listen request's result") {
  TestServer server;
  auto listen = open_listen(server.port(), "bye", {{"toolsListChanged", true}});
  REQUIRE(next(*listen)["method"] == "notifications/subscriptions/acknowledged");
  auto stopping = std::async(std::launch::async, [&] { return server.stop(); });
  const json last = next(*listen);
  CHECK(last["id"] == "bye");
  CHECK(last["result"]["resultType"] == "complete");
  CHECK(last["result"]["_meta"][subscription_key] == "bye");
  CHECK(last["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "mcpgate");
  CHECK(listen->wait_closed());
  CHECK(listen->body_ended());
  stopping.get();
}

TEST_CASE("listen: closing the stream ends the subscription at once") {
  TestServer server;
  CHECK(listen_streams(server) == 0);
  auto listen = open_listen(server.port(), 1, {{"toolsListChanged", true}});
  REQUIRE(next(*listen)["method"] == "notifications/subscriptions/acknowledged");
  CHECK(listen_streams(server) == 1);
  listen->close();
  CHECK(eventually([&] { return listen_streams(server) == 0; }, io_timeout));
  // A change now finds no one to tell, and the server goes on serving.
  CHECK(result_text(call_tool(server.port(), 2, "test_trigger_tool_change")) ==
        "Added test_dynamic_tool");
}

TEST_CASE("listen: resourceSubscriptions past --max-listen-uris are refused with -32602") {
  auto config = test_config();
  config.max_listen_uris = 2;
  TestServer server(config);
  const json uris = json::array({"test://static-text", "test://static-binary", "test://watched-resource"});
  const auto refused = exchange(server.port(), "POST", "/mcp", listen_headers("subscriptions/listen"),
                                rpc_request(9, "subscriptions/listen",
                                            listen_params({{"notifications", {{"resourceSubscriptions", uris}}}}))
                                    .dump());
  REQUIRE(refused.ok);
  const auto response = refused.response(9);
  REQUIRE(response.has_value());
  CHECK(error_code(*response) == -32602);
  CHECK(error_message(*response).find("--max-listen-uris") != std::string::npos);
  CHECK(listen_streams(server) == 0);
  // Within the budget it is served.
  auto listen = open_listen(server.port(), 10,
                            {{"resourceSubscriptions", json::array({"test://static-text", "test://watched-resource"})}});
  CHECK(next(*listen)["params"]["notifications"]["resourceSubscriptions"].size() == 2);
}

TEST_CASE("listen: listChanged is declared only for the lists that can change") {
  {
    TestServer server;  // the conformance fixtures change the tool and prompt lists
    const json caps = listen_call(server.port(), 1, "server/discover")["result"]["capabilities"];
    CHECK(caps["tools"]["listChanged"] == true);
    CHECK(caps["prompts"]["listChanged"] == true);
    CHECK(caps["resources"]["listChanged"] == false);
    CHECK(caps["resources"]["subscribe"] == true);
  }
  auto config = test_config();
  config.conformance_fixtures = false;
  TestServer server(config);  // Archon's lists never change
  const json caps = listen_call(server.port(), 1, "server/discover")["result"]["capabilities"];
  CHECK(caps["tools"]["listChanged"] == false);
  CHECK(caps["prompts"]["listChanged"] == false);
  auto listen = open_listen(server.port(), 2, {{"toolsListChanged", true}});
  CHECK(next(*listen)["params"]["notifications"] == json::object());
}
