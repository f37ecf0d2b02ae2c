// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) over HTTP on the modern era:
// a tools/call answered with a task handle, polled with tasks/get, fed with tasks/update,
// stopped with tasks/cancel; the extension negotiated per request; the headers that route a
// task's requests.
#include "test_server.hpp"

#include "../eventually.hpp"

using namespace itest;

// The whole file in a named namespace: the integration tests are compiled as one unity file.
namespace tasks_test {

using test_support::eventually;

constexpr const char* modern = "2026-07-28";
constexpr const char* extension = "io.modelcontextprotocol/tasks";

json capabilities(bool with_tasks) {
  json caps{{"elicitation", json::object()}};
  if (with_tasks) caps["extensions"] = {{extension, json::object()}};
  return caps;
}

struct Answer {
  int status = 0;
  json body;  // the JSON-RPC response
};

// One modern request: its headers mirror the body (Mcp-Name: `name` when given).
Answer send(httplib::Client& client, const std::string& method, json params, bool with_tasks,
            std::optional<std::string> name = std::nullopt) {
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", modern},
                     {"io.modelcontextprotocol/clientCapabilities", capabilities(with_tasks)},
                     {"io.modelcontextprotocol/clientInfo", {{"name", "tasks-test"}, {"version", "1"}}}};
  httplib::Headers headers{{"Accept", accept_both},
                           {"MCP-Protocol-Version", modern},
                           {"Mcp-Method", method}};
  if (name) headers.emplace("Mcp-Name", *name);
  const json body{{"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", params}};
  auto res = client.Post("/mcp", headers, body.dump(), "application/json");
  REQUIRE(res);
  Answer answer{.status = res->status, .body = nullptr};
  if (res->get_header_value("Content-Type").find("text/event-stream") == std::string::npos) {
    answer.body = json::parse(res->body);
    return answer;
  }
  // An SSE answer: its last message is the response.
  std::size_t at = 0;
  while ((at = res->body.find("data: ", at)) != std::string::npos) {
    const auto end = res->body.find('\n', at);
    answer.body = json::parse(res->body.substr(at + 6, end - at - 6));
    at = end;
  }
  return answer;
}

Answer call_tool(httplib::Client& client, const std::string& tool, json arguments,
                 bool with_tasks = true) {
  return send(client, "tools/call", {{"name", tool}, {"arguments", std::move(arguments)}},
              with_tasks, tool);
}

Answer task_request(httplib::Client& client, const std::string& method, const std::string& id,
                    json params = json::object(), bool with_tasks = true) {
  params["taskId"] = id;
  return send(client, method, std::move(params), with_tasks, id);
}

json get_task(httplib::Client& client, const std::string& id) {
  const auto answer = task_request(client, "tasks/get", id);
  REQUIRE(answer.status == 200);
  REQUIRE(answer.body.contains("result"));
  return answer.body["result"];
}

std::string start(httplib::Client& client, const std::string& tool, json arguments) {
  const auto answer = call_tool(client, tool, std::move(arguments));
  REQUIRE(answer.status == 200);
  const auto& result = answer.body.at("result");
  REQUIRE(result["resultType"] == "task");
  return result.at("taskId").get<std::string>();
}

bool reaches(httplib::Client& client, const std::string& id, const char* status) {
  return eventually([&] { return get_task(client, id)["status"] == status; },
                    std::chrono::seconds(10 * time_scale), std::chrono::milliseconds(20));
}


TEST_CASE("server/discover declares the tasks extension, and no capabilities.tasks") {
  TestServer server;
  auto client = server.client();
  const auto answer = send(*client, "server/discover", json::object(), true);
  REQUIRE(answer.status == 200);
  const auto& caps = answer.body["result"]["capabilities"];
  CHECK(caps["extensions"][extension] == json::object());
  CHECK_FALSE(caps.contains("tasks"));
}

TEST_CASE("a task-optional tool runs as a task: working at once, then completed with its result") {
  TestServer server;
  auto client = server.client();
  const auto created = call_tool(*client, "slow_compute", {{"seconds", 1}, {"label", "it"}});
  REQUIRE(created.status == 200);
  const auto& result = created.body["result"];
  CHECK(result["resultType"] == "task");
  CHECK(result["status"] == "working");
  CHECK(result["ttlMs"].is_number_integer());
  CHECK(result["pollIntervalMs"].is_number_integer());
  for (const char* key : {"result", "error", "inputRequests", "requestState", "content"})
    CHECK_FALSE(result.contains(key));
  const std::string id = result["taskId"];

  const auto first = get_task(*client, id);  // found at once
  CHECK(first["resultType"] == "complete");
  CHECK(first["taskId"] == id);
  CHECK(first["status"] == "working");
  REQUIRE(reaches(*client, id, "completed"));
  const auto done = get_task(*client, id);
  CHECK(done["result"]["content"][0]["text"] == "Computed it in 1 s");
  CHECK_FALSE(done["result"].contains("_meta"));
  CHECK_FALSE(done.contains("error"));
}

TEST_CASE("without the extension: tasks/* and task-required tools get 400 with -32021") {
  TestServer server;
  auto client = server.client();
  const json required{{"extensions", {{extension, json::object()}}}};
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    CAPTURE(method);
    const auto answer =
        task_request(*client, method, "gate-test", {{"inputResponses", json::object()}}, false);
    CHECK(answer.status == 400);
    CHECK(answer.body["id"] == 7);
    CHECK(answer.body["error"]["code"] == -32021);
    CHECK(answer.body["error"]["data"]["requiredCapabilities"] == required);
  }
  const auto refused = call_tool(*client, "failing_job", json::object(), false);
  CHECK(refused.status == 400);
  CHECK(refused.body["error"]["code"] == -32021);
  CHECK(refused.body["error"]["data"]["requiredCapabilities"] == required);
  // A task-optional tool runs in the request instead.
  const auto sync = call_tool(*client, "slow_compute", {{"seconds", 0}}, false);
  CHECK(sync.body["result"]["resultType"] == "complete");
  CHECK_FALSE(sync.body["result"].contains("taskId"));
  CHECK(sync.body["result"]["content"][0]["text"] == "Computed computation in 0 s");
}

TEST_CASE("tool errors complete the task with isError; JSON-RPC errors fail it") {
  TestServer server;
  auto client = server.client();
  const auto tool_error = start(*client, "failing_job", json::object());
  const auto protocol_error = start(*client, "protocol_error_job", json::object());
  REQUIRE(reaches(*client, tool_error, "completed"));
  CHECK(get_task(*client, tool_error)["result"]["isError"] == true);
  REQUIRE(reaches(*client, protocol_error, "failed"));
  const auto failed = get_task(*client, protocol_error);
  CHECK(failed["error"]["code"] == -32603);
  CHECK_FALSE(failed.contains("result"));
}

TEST_CASE("tasks/cancel stops a running task and acks with an empty result, every time") {
  TestServer server;
  auto client = server.client();
  const auto id = start(*client, "slow_compute", {{"seconds", 600}});
  for (int i = 0; i < 2; ++i) {
    const auto ack = task_request(*client, "tasks/cancel", id);
    REQUIRE(ack.status == 200);
    auto result = ack.body["result"];
    result.erase("_meta");
    CHECK(result == json{{"resultType", "complete"}});
  }
  CHECK(get_task(*client, id)["status"] == "cancelled");
  // The handler saw it: the task's thread comes free (the server stops at once below).
}

TEST_CASE("input_required: tasks/get shows the requests, tasks/update answers them") {
  TestServer server;
  auto client = server.client();
  const auto id = start(*client, "multi_input", json::object());
  REQUIRE(reaches(*client, id, "input_required"));
  auto waiting = get_task(*client, id);
  REQUIRE(waiting["inputRequests"].size() == 2);
  CHECK(waiting["inputRequests"]["user_name"]["method"] == "elicitation/create");

  const json name{{"action", "accept"}, {"content", {{"name", "Alice"}}}};
  const json color{{"action", "accept"}, {"content", {{"color", "green"}}}};
  auto ack = task_request(*client, "tasks/update", id,
                          {{"inputResponses", {{"user_name", name}, {"unknown-key", {{"x", 1}}}}}});
  REQUIRE(ack.status == 200);
  ack.body["result"].erase("_meta");
  CHECK(ack.body["result"] == json{{"resultType", "complete"}});
  waiting = get_task(*client, id);
  CHECK(waiting["status"] == "input_required");
  CHECK(waiting["inputRequests"].size() == 1);
  CHECK(waiting["inputRequests"].contains("favorite_color"));

  (void)task_request(*client, "tasks/update", id,
                     {{"inputResponses", {{"favorite_color", color}}}});
  REQUIRE(reaches(*client, id, "completed"));
  CHECK(get_task(*client, id)["result"]["content"][0]["text"] == "Name: Alice; colour: green");
}

TEST_CASE("unknown task ids are -32602; tasks/list and tasks/result do not exist (404)") {
  TestServer server;
  auto client = server.client();
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    CAPTURE(method);
    const auto answer = task_request(*client, method, "tasks-conformance-nonexistent-12345",
                                     {{"inputResponses", json::object()}});
    CHECK(answer.body["error"]["code"] == -32602);
    CHECK(answer.body["id"] == 7);
  }
  const auto list = send(*client, "tasks/list", json::object(), true);
  CHECK(list.status == 404);
  CHECK(list.body["error"]["code"] == -32601);
  const auto result = task_request(*client, "tasks/result", "tasks-conformance-isolation-probe");
  CHECK(result.status == 404);
  CHECK(result.body["error"]["code"] == -32601);
}

TEST_CASE("Mcp-Name must name the task: another id is 400 with -32020") {
  TestServer server;
  auto client = server.client();
  const auto id = start(*client, "slow_compute", {{"seconds", 600}});
  auto params = json{{"taskId", id}};
  const auto wrong = send(*client, "tasks/get", params, true, std::string("someone-elses-task"));
  CHECK(wrong.status == 400);
  CHECK(wrong.body["error"]["code"] == -32020);
  const auto missing = send(*client, "tasks/get", params, true);
  CHECK(missing.status == 400);
  CHECK(missing.body["error"]["code"] == -32020);
  CHECK(task_request(*client, "tasks/cancel", id).status == 200);
}

TEST_CASE("at --max-tasks a task-optional tool runs in the request, a task-required one gets -32005") {
  auto config = test_config();
  config.max_tasks = 1;
  TestServer server(config);
  auto client = server.client();
  const auto id = start(*client, "slow_compute", {{"seconds", 600}});
  const auto sync = call_tool(*client, "slow_compute", {{"seconds", 0}});
  CHECK(sync.body["result"]["resultType"] == "complete");
  CHECK(sync.body["result"]["content"][0]["text"] == "Computed computation in 0 s");
  const auto refused = call_tool(*client, "failing_job", json::object());
  CHECK(refused.body["error"]["code"] == -32005);
  CHECK(task_request(*client, "tasks/cancel", id).status == 200);
}

}  // namespace tasks_test
