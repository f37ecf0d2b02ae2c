// Multi round-trip requests on the modern era (2026-07-28) over real HTTP: a call that needs
// input ends with resultType "input_required", the retry brings the answers and requestState
// and completes; several rounds; a changed, foreign or malformed state is refused; a capability
// the request does not declare is -32021 with HTTP 400; prompts ask too; and a retry completes
// on another server process that shares the --state-key-file, while one with another key
// refuses it.
#include "test_server.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace {

using itest::json;
using namespace std::chrono_literals;

const json all_capabilities = json{{"elicitation", json::object()},
                                   {"sampling", json::object()},
                                   {"roots", {{"listChanged", true}}}};

struct Answer {
  int status = 0;
  json body;
};

// One modern-era POST: the version header and _meta, Mcp-Method and Mcp-Name as the revision
// asks. `extra` is merged into params (inputResponses, requestState).
Answer modern(int port, const std::string& method, const std::string& name, json params,
              const json& capabilities = all_capabilities) {
  static int next_id = 1;
  const int id = next_id++;
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientCapabilities", capabilities}};
  const json request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  httplib::Headers headers{{"Accept", itest::accept_both},
                           {"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", method}};
  if (!name.empty()) headers.emplace("Mcp-Name", name);
  auto res = client.Post("/mcp", headers, request.dump(), "application/json");
  REQUIRE(res);
  INFO(res->status << " " << res->body);
  Answer answer{res->status, nullptr};
  if (res->get_header_value("Content-Type").find("text/event-stream") == 0) {
    // An answer that took a moment comes as a stream: its one message with our id.
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("data: ", 0) != 0) continue;
      json message = json::parse(line.substr(6));
      CHECK_FALSE(message.contains("method"));  // no requests (nor, here, notifications)
      if (message.contains("id")) answer.body = std::move(message);
    }
  } else {
    REQUIRE(res->get_header_value("Content-Type").find("application/json") == 0);
    answer.body = json::parse(res->body);
  }
  CHECK(answer.body["id"] == id);
  return answer;
}

Answer call_tool(int port, const std::string& tool, json extra = json::object(),
                 const json& capabilities = all_capabilities) {
  extra["name"] = tool;
  if (!extra.contains("arguments")) extra["arguments"] = json::object();
  return modern(port, "tools/call", tool, std::move(extra), capabilities);
}

json accept(json content) { return {{"action", "accept"}, {"content", std::move(content)}}; }

std::string text_of(const json& result) { return result.at("content").at(0).at("text"); }

// A server process of the built binary (MCPGATE_BIN), on a free port, ended with SIGTERM.
class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& dir, const std::string& name,
                const std::filesystem::path& key_file) {
    const char* binary = std::getenv("MCPGATE_BIN");
    REQUIRE_MESSAGE(binary != nullptr, "MCPGATE_BIN names the mcpgate binary (meson sets it)");
    const auto port_file = dir / (name + ".port");
    std::vector<std::string> args{binary,
                                  "--port=0",
                                  "--port-file=" + port_file.string(),
                                  "--conformance-fixtures",
                                  "--data=" + (dir / (name + ".db")).string(),
                                  "--state-key-file=" + key_file.string(),
                                  "--log-level=warn"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawn(&pid_, binary, nullptr, nullptr, argv.data(), environ) == 0);
    const bool listening = test_support::eventually(
        [&] {
          std::ifstream in(port_file);
          return static_cast<bool>(in >> port_) && port_ > 0;
        },
        itest::io_timeout, 20ms);
    REQUIRE_MESSAGE(listening, "server " << name << " did not write its port");
  }
  ~ServerProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("MRTR: input_required, then the retry with the answer completes") {
  itest::TestServer server;
  const auto first = call_tool(server.port(), "test_input_required_result_elicitation");
  CHECK(first.status == 200);
  const json& result = first.body.at("result");
  CHECK(result["resultType"] == "input_required");
  CHECK(result["inputRequests"]["user_name"]["method"] == "elicitation/create");
  CHECK(result["inputRequests"]["user_name"]["params"]["message"] == "What is your name?");
  CHECK(result["requestState"].is_string());
  CHECK_FALSE(result.contains("ttlMs"));  // interim results are never cached
  CHECK_FALSE(result.contains("content"));

  const auto retry = call_tool(
      server.port(), "test_input_required_result_elicitation",
      {{"inputResponses", {{"user_name", accept({{"name", "Alice"}})}}},
       {"requestState", result["requestState"]}});
  CHECK(retry.body["result"]["resultType"] == "complete");
  CHECK(text_of(retry.body["result"]) == "Hello, Alice!");
}

TEST_CASE("MRTR: several rounds, the client sending only the latest answers") {
  itest::TestServer server;
  const int port = server.port();
  const std::string tool = "test_input_required_result_multi_round";
  const auto r1 = call_tool(port, tool).body["result"];
  REQUIRE(r1["resultType"] == "input_required");
  CHECK(r1["inputRequests"].contains("step1"));

  const auto r2 = call_tool(port, tool,
                            {{"inputResponses", {{"step1", accept({{"name", "Alice"}})}}},
                             {"requestState", r1["requestState"]}})
                      .body["result"];
  REQUIRE(r2["resultType"] == "input_required");
  CHECK(r2["inputRequests"].contains("step2"));
  CHECK_FALSE(r2["inputRequests"].contains("step1"));
  CHECK(r2["requestState"] != r1["requestState"]);

  const auto r3 = call_tool(port, tool,
                            {{"inputResponses", {{"step2", accept({{"color", "blue"}})}}},
                             {"requestState", r2["requestState"]}})
                      .body["result"];
  CHECK(r3["resultType"] == "complete");
  CHECK(text_of(r3) == "Multi-round complete for Alice who likes blue");

  // Without the state the first answer is gone: step 1 is asked again.
  const auto lost = call_tool(port, tool, {{"inputResponses", {{"step2", accept({{"color", "blue"}})}}}})
                        .body["result"];
  CHECK(lost["resultType"] == "input_required");
  CHECK(lost["inputRequests"].contains("step1"));
}

TEST_CASE("MRTR: a changed, foreign or malformed requestState is refused with -32602") {
  itest::TestServer server;
  const int port = server.port();
  const auto first = call_tool(port, "test_input_required_result_tampered_state").body["result"];
  const std::string state = first.at("requestState");
  const json answers{{"confirm", accept({{"ok", true}})}};

  const auto tampered = call_tool(port, "test_input_required_result_tampered_state",
                                  {{"inputResponses", answers}, {"requestState", state + "-TAMPERED"}});
  CHECK(tampered.status == 200);
  CHECK(tampered.body["error"]["code"] == -32602);
  CHECK(tampered.body["error"]["message"].get<std::string>().find("integrity check failed") !=
        std::string::npos);

  // The state of one tool presented to another, or with other arguments.
  const auto foreign = call_tool(port, "test_input_required_result_request_state",
                                 {{"inputResponses", answers}, {"requestState", state}});
  CHECK(foreign.body["error"]["code"] == -32602);
  CHECK(foreign.body["error"]["message"].get<std::string>().find("another request") !=
        std::string::npos);
  const auto sampling = call_tool(port, "test_sampling", {{"arguments", {{"prompt", "a"}}}});
  const auto other_arguments =
      call_tool(port, "test_sampling",
                {{"arguments", {{"prompt", "b"}}},
                 {"requestState", sampling.body["result"]["requestState"]}});
  CHECK(other_arguments.body["error"]["code"] == -32602);

  // inputResponses that are not an object of objects, a state that is not a string.
  for (const json& bad : {json(12345), json(nullptr), json::array()}) {
    const auto answer = call_tool(port, "test_input_required_result_elicitation",
                                  {{"inputResponses", bad}});
    CHECK(answer.body["error"]["code"] == -32602);
  }
  const auto not_object = call_tool(port, "test_input_required_result_elicitation",
                                    {{"inputResponses", {{"user_name", 12345}}}});
  CHECK(not_object.body["error"]["code"] == -32602);
  const auto number_state = call_tool(port, "test_input_required_result_elicitation",
                                      {{"requestState", 7}});
  CHECK(number_state.body["error"]["code"] == -32602);

  // The untouched state still works.
  const auto good = call_tool(port, "test_input_required_result_tampered_state",
                              {{"inputResponses", answers}, {"requestState", state}});
  CHECK(text_of(good.body["result"]) == "integrity-ok: state verified");
}

TEST_CASE("MRTR: an input whose capability the request does not declare is -32021, HTTP 400") {
  // JSON answers: an answer that takes more than 50 ms goes as a stream, whose status is 200
  // (a loaded machine can delay even this one); the status is what is tested here.
  auto config = itest::test_config();
  config.json_response = true;
  itest::TestServer server(config);
  const auto missing = call_tool(server.port(), "test_missing_capability", json::object(), json::object());
  CHECK(missing.status == 400);
  CHECK(missing.body["error"]["code"] == -32021);
  CHECK(missing.body["error"]["data"]["requiredCapabilities"] == json{{"sampling", json::object()}});

  const auto elicit = call_tool(server.port(), "test_input_required_result_elicitation",
                                json::object(), json{{"sampling", json::object()}});
  CHECK(elicit.status == 400);
  CHECK(elicit.body["error"]["data"]["requiredCapabilities"].contains("elicitation"));

  // A tool that degrades asks only for what is declared.
  const auto degraded = call_tool(server.port(), "test_input_required_result_capabilities",
                                  json::object(), json{{"sampling", json::object()}});
  const json& requests = degraded.body["result"]["inputRequests"];
  CHECK(requests.size() == 1);
  CHECK(requests.contains("sample_input"));
}

TEST_CASE("MRTR: prompts ask too; a session-era tool's request_client becomes one round") {
  itest::TestServer server;
  const int port = server.port();
  const std::string prompt = "test_input_required_result_prompt";
  const auto first = modern(port, "prompts/get", prompt, {{"name", prompt}}).body["result"];
  REQUIRE(first["resultType"] == "input_required");
  CHECK(first["inputRequests"]["user_context"]["method"] == "elicitation/create");
  const auto done = modern(port, "prompts/get", prompt,
                           {{"name", prompt},
                            {"inputResponses", {{"user_context", accept({{"context", "tests"}})}}},
                            {"requestState", first["requestState"]}})
                        .body["result"];
  CHECK(done["resultType"] == "complete");
  CHECK(done["messages"][0]["content"]["text"] == "Prompt with context: tests");

  // test_sampling sends sampling/createMessage in a session; here it is an input request.
  const auto ask = call_tool(port, "test_sampling", {{"arguments", {{"prompt", "Hi?"}}}}).body["result"];
  REQUIRE(ask["resultType"] == "input_required");
  const auto first_request = ask["inputRequests"].begin();  // iterates `ask`, which outlives it
  const std::string key = first_request.key();
  const json request = first_request.value();
  CHECK(request["method"] == "sampling/createMessage");
  const json sampled{{"role", "assistant"},
                     {"content", {{"type", "text"}, {"text", "Hello!"}}},
                     {"model", "m"}};
  const auto answered = call_tool(port, "test_sampling",
                                  {{"arguments", {{"prompt", "Hi?"}}},
                                   {"inputResponses", {{key, sampled}}},
                                   {"requestState", ask["requestState"]}})
                            .body["result"];
  CHECK(text_of(answered) == "LLM response: Hello!");

  // Listings never answer input_required.
  CHECK(modern(port, "tools/list", "", json::object()).body["result"]["resultType"] == "complete");
}

TEST_CASE("MRTR: a retry completes on another process sharing --state-key-file; another key refuses it") {
  std::string pattern = (std::filesystem::temp_directory_path() / "mcpgate-mrtr-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  const std::filesystem::path dir = pattern;
  {
    const auto shared_key = dir / "shared.key";
    ServerProcess a(dir, "a", shared_key);
    ServerProcess b(dir, "b", shared_key);
    ServerProcess c(dir, "c", dir / "other.key");
    CHECK((std::filesystem::status(shared_key).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    const std::string tool = "test_input_required_result_multi_round";
    const auto r1 = call_tool(a.port(), tool).body["result"];
    REQUIRE(r1["resultType"] == "input_required");
    const auto r2 = call_tool(b.port(), tool,
                              {{"inputResponses", {{"step1", accept({{"name", "Bo"}})}}},
                               {"requestState", r1["requestState"]}})
                        .body["result"];
    REQUIRE(r2["resultType"] == "input_required");
    const json last{{"inputResponses", {{"step2", accept({{"color", "red"}})}}},
                    {"requestState", r2["requestState"]}};
    const auto refused = call_tool(c.port(), tool, last);
    CHECK(refused.body["error"]["code"] == -32602);
    const auto r3 = call_tool(a.port(), tool, last).body["result"];
    CHECK(r3["resultType"] == "complete");
    CHECK(text_of(r3) == "Multi-round complete for Bo who likes red");
  }
  std::filesystem::remove_all(dir);
}
