// Tools never show a client where the server keeps its data or which backend it calls: no
// tool result, tool error or start-up error names the data file or the backend URL (/health
// and the logs may). Through the real server, with the embedded store and with a backend.
#include "../embedded/temp_dir.hpp"
#include "fixture_backend.hpp"
#include "test_server.hpp"

using namespace itest;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;

namespace {

// The text of every tool's answer (result or error) for `calls`, one after the other.
std::string probe_answers(int port, const std::string& session, const std::vector<json>& calls) {
  std::string all;
  int id = 10;
  for (const json& call : calls) {
    const auto reply = mcp_post(port, session, tool_call(++id, call["name"].get<std::string>(),
                                                          call.value("arguments", json::object())));
    REQUIRE(reply.ok);
    const auto response = reply.response(id);
    REQUIRE(response.has_value());
    all += response->dump() + "\n";
  }
  return all;
}

const std::vector<json> leak_probe_calls = {
    json{{"name", "health_check"}},
    json{{"name", "session_info"}},
    json{{"name", "find_projects"}},
    json{{"name", "find_tasks"}, {"arguments", {{"task_id", "t-404"}}}},
    json{{"name", "rag_get_available_sources"}},
    json{{"name", "rag_read_full_page"}, {"arguments", {{"page_id", "nope"}}}},
};

}  // namespace

TEST_CASE("with the embedded store, no tool names the data file") {
  embedded_test::TempDir dir;
  auto config = test_config();
  config.data_path = dir.file("secret-place.db");
  TestServer server(config);
  const std::string session = open_session(server.port());
  const std::string text = probe_answers(server.port(), session, leak_probe_calls);
  CHECK(text.find(R"(\"success\":true)") != std::string::npos);  // it did answer
  CHECK(text.find("secret-place") == std::string::npos);
  CHECK(text.find(dir.path().string()) == std::string::npos);
}

TEST_CASE("with a backend, up or down, no tool names its URL") {
  auto fixture = std::make_unique<FixtureBackend>([](const RecordedRequest& request) {
    if (request.path == "/api/health") return FixtureReply{200, R"({"status":"healthy"})"};
    if (request.path == "/api/projects") return FixtureReply{200, R"({"projects":[]})"};
    return FixtureReply{404, R"({"detail":"Not Found"})"};
  });
  const int backend_port = fixture->port();
  auto config = test_config();
  config.backend_url = "http://127.0.0.1:" + std::to_string(backend_port);
  config.backend_connect_timeout = 1000ms;
  TestServer server(config);
  const std::string session = open_session(server.port());
  const std::string address = "127.0.0.1:" + std::to_string(backend_port);

  const std::string up = probe_answers(server.port(), session, leak_probe_calls);
  CHECK(up.find(R"(\"success\":true)") != std::string::npos);
  CHECK(up.find(address) == std::string::npos);

  fixture.reset();  // down: connection errors everywhere
  const std::string down = probe_answers(server.port(), session, leak_probe_calls);
  CHECK(down.find("connection") != std::string::npos);
  CHECK(down.find(address) == std::string::npos);

  // /health may name it: it is for operators.
  const auto health = server.client()->Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("a data file that cannot be opened: the client's error does not name it") {
  embedded_test::TempDir dir;
  {
    std::ofstream blocker(dir.file("not-a-folder"));
    blocker << "a file where a folder should be";
  }
  auto config = test_config();
  config.data_path = dir.file("not-a-folder") / "secret-place.db";
  TestServer server(config);
  const auto init = exchange(server.port(), "POST", "/mcp", mcp_headers("", ""),
                             initialize_request(1, latest).dump());
  REQUIRE(init.ok);
  CHECK(init.status == 503);
  CHECK(init.body.find("embedded store") != std::string::npos);
  CHECK(init.body.find("secret-place") == std::string::npos);
  CHECK(init.body.find(dir.path().string()) == std::string::npos);
}

TEST_CASE("a backend URL that cannot be used: the client's error does not name it") {
  auto config = test_config();
  config.backend_url = "http://secret-host.example:99999";
  TestServer server(config);
  const auto init = exchange(server.port(), "POST", "/mcp", mcp_headers("", ""),
                             initialize_request(1, latest).dump());
  REQUIRE(init.ok);
  CHECK(init.status == 503);
  CHECK(init.body.find("backend URL") != std::string::npos);
  CHECK(init.body.find("secret-host") == std::string::npos);
}
