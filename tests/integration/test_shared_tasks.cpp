// Tasks (io.modelcontextprotocol/tasks, MCP 2026-07-28) across processes on one store
// (server/shared_tasks): behind a round-robin proxy a client's tasks/get, tasks/update and
// tasks/cancel land on any instance, not only on the one running the task.
#include "../embedded/temp_dir.hpp"
#include "test_server.hpp"
#include "test_store.hpp"

#include "../eventually.hpp"

using namespace itest;

namespace shared_tasks_test {

using test_support::eventually;

constexpr const char* modern = "2026-07-28";

// A file in `dir`, or in the _pg twin a new PostgreSQL database.
mcpgate::Config one_store_config(const std::string& store) {
  auto config = test_config();
  config.session_store = store;
  return config;
}

// One modern request with the tasks extension declared; the JSON-RPC response.
json send(int port, const std::string& method, json params, const std::string& name) {
  params["_meta"] = {
      {"io.modelcontextprotocol/protocolVersion", modern},
      {"io.modelcontextprotocol/clientCapabilities",
       {{"elicitation", json::object()},
        {"extensions", {{"io.modelcontextprotocol/tasks", json::object()}}}}},
      {"io.modelcontextprotocol/clientInfo", {{"name", "shared-tasks-test"}, {"version", "1"}}}};
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(io_timeout * time_scale);
  const json body{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
  auto res = client.Post("/mcp",
                         httplib::Headers{{"Accept", accept_both},
                                          {"MCP-Protocol-Version", modern},
                                          {"Mcp-Method", method},
                                          {"Mcp-Name", name}},
                         body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->get_header_value("Content-Type").find("application/json") == 0);
  return json::parse(res->body);
}

std::string start(int port, const std::string& tool, json arguments) {
  const auto answer = send(port, "tools/call", {{"name", tool}, {"arguments", arguments}}, tool);
  REQUIRE(answer.contains("result"));
  REQUIRE(answer["result"]["resultType"] == "task");
  return answer["result"]["taskId"];
}

json task_call(int port, const std::string& method, const std::string& id,
               json params = json::object()) {
  params["taskId"] = id;
  return send(port, method, std::move(params), id);
}

std::string status_at(int port, const std::string& id) {
  const auto answer = task_call(port, "tasks/get", id);
  if (!answer.contains("result")) return "error: " + answer["error"].dump();
  return answer["result"]["status"];
}

bool reaches(int port, const std::string& id, const std::string& status) {
  return eventually([&] { return status_at(port, id) == status; },
                    std::chrono::seconds(10 * time_scale), std::chrono::milliseconds(20));
}

}  // namespace shared_tasks_test

using namespace shared_tasks_test;

// Two server processes on one store (a fresh SQLite file, or in the _pg twin a new PostgreSQL
// database): what one starts, the other must see and steer.
struct TwoProcesses {
  embedded_test::TempDir dir;
  std::string store = test_support::fresh_store(dir.file("store.db"));
  TestServer a{one_store_config(store)};
  TestServer b{one_store_config(store)};
};

TEST_CASE_FIXTURE(TwoProcesses,
    "shared tasks: a task started on one process is polled to its result on another") {
  const auto id = start(a.port(), "slow_compute", {{"seconds", 1}, {"label", "it"}});
  CHECK(status_at(b.port(), id) == "working");  // found at once, not only after a change
  REQUIRE(reaches(b.port(), id, "completed"));
  const auto done = task_call(b.port(), "tasks/get", id);
  CHECK(done["result"]["taskId"] == id);
  CHECK(done["result"]["resultType"] == "complete");
  CHECK(done["result"]["result"]["content"][0]["text"] == "Computed it in 1 s");

  const auto unknown = task_call(b.port(), "tasks/get", "no-such-task");
  REQUIRE(unknown.contains("error"));
  CHECK(unknown["error"]["code"] == -32602);
}

TEST_CASE_FIXTURE(TwoProcesses,
    "shared tasks: a task's input request is answered through another process") {
  const auto id = start(a.port(), "confirm_delete", {{"filename", "notes.txt"}});
  REQUIRE(reaches(b.port(), id, "input_required"));
  const auto waiting = task_call(b.port(), "tasks/get", id);
  REQUIRE(waiting["result"]["inputRequests"].contains("confirm"));
  CHECK(waiting["result"]["inputRequests"]["confirm"]["method"] == "elicitation/create");

  const auto ack = task_call(
      b.port(), "tasks/update", id,
      {{"inputResponses",
        {{"confirm", {{"action", "accept"}, {"content", {{"confirm", true}}}}}}}});
  REQUIRE(ack.contains("result"));
  REQUIRE(reaches(a.port(), id, "completed"));  // the answer reached the process running it
  REQUIRE(reaches(b.port(), id, "completed"));
  CHECK(task_call(b.port(), "tasks/get", id)["result"]["result"]["content"][0]["text"] ==
        "Deleted notes.txt");
}

TEST_CASE_FIXTURE(TwoProcesses,
    "shared tasks: tasks/cancel on another process stops the task where it runs") {
  const auto id = start(a.port(), "slow_compute", {{"seconds", 60}, {"label", "long"}});
  REQUIRE(reaches(b.port(), id, "working"));
  const auto ack = task_call(b.port(), "tasks/cancel", id);
  REQUIRE(ack.contains("result"));
  // Well before the 60 s: the handler on a was cancelled, not left to run out.
  CHECK(reaches(a.port(), id, "cancelled"));
  CHECK(reaches(b.port(), id, "cancelled"));
}

TEST_CASE_FIXTURE(TwoProcesses,
    "shared tasks: answers too large to pass between processes are refused, not lost") {
  const auto id = start(a.port(), "confirm_delete", {{"filename", "big.txt"}});
  REQUIRE(reaches(b.port(), id, "input_required"));
  // Within what a task may keep (--max-task-result-bytes, 1 MiB), over what one process hands
  // another (64 KiB): the client must hear that they did not arrive.
  const json big{{"action", "accept"},
                 {"content", {{"confirm", true}, {"note", std::string(100 * 1024, 'x')}}}};
  const auto refused = task_call(b.port(), "tasks/update", id, {{"inputResponses", {{"confirm", big}}}});
  REQUIRE(refused.contains("error"));
  CHECK(refused["error"]["code"] == -32603);
  CHECK(status_at(a.port(), id) == "input_required");
  const auto ack = task_call(
      b.port(), "tasks/update", id,
      {{"inputResponses", {{"confirm", {{"action", "accept"}, {"content", {{"confirm", true}}}}}}}});
  REQUIRE(ack.contains("result"));
  CHECK(reaches(b.port(), id, "completed"));
}
