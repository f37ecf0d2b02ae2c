// A backend that is down at start, comes up, answers 500, garbage, JSON nested 50,000 levels
// deep, a body over --max-backend-body and JSON too costly to parse, stalls past every timeout,
// dies mid-run and flaps: through the real server, every tool call is answered with
// the right error type (never a hang), /health answers throughout and follows the backend
// (degraded <-> ready), and service resumes by itself each time the backend is back.
#include "fixture_backend.hpp"
#include "test_server.hpp"

#include <atomic>

using namespace itest;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;

namespace {

// What the fake Archon API does at the moment.
enum class Mode { healthy, error_500, garbage, deep, huge, costly, stall };

// {"projects":[{},{},...]} with `count` empty projects: 3 bytes of text, 21x that parsed.
std::string empty_projects(std::size_t count) {
  std::string out = R"({"projects":[)";
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "{}" : ",{}";
  return out + "]}";
}

struct BackendScript {
  std::atomic<Mode> mode{Mode::healthy};
  // Built once: building them per answer took longer than the 1 s read timeout under TSan.
  const std::string huge_body = empty_projects(2'000'000);
  const std::string costly_body = empty_projects(1'000'000);

  FixtureReply answer(const RecordedRequest& request) const {
    switch (mode.load()) {
      case Mode::error_500:
        return FixtureReply{500, R"({"detail":{"error":"database is on fire"}})"};
      case Mode::garbage:
        return FixtureReply{200, "<html>a captive portal</html>", "text/html"};
      case Mode::deep:  // parsed, its copies and serialisation would overflow a thread's stack
        return FixtureReply{200, R"({"projects":)" + std::string(50000, '[') +
                                     std::string(50000, ']') + "}"};
      case Mode::huge:  // 6 MB: over the 4 MiB --max-backend-body
        return FixtureReply{200, huge_body};
      case Mode::costly:  // 3 MB, but 64 MB once parsed: over 8 x 4 MiB
        return FixtureReply{200, costly_body};
      case Mode::stall:
        return FixtureReply{200, "{}", "application/json", 4s * time_scale};  // past the read timeout
      case Mode::healthy:
        break;
    }
    if (request.path == "/api/health") return FixtureReply{200, R"({"status":"healthy"})"};
    return FixtureReply{200, R"({"projects":[{"id":"p-1","title":"Alpha"}],"count":1})"};
  }
};

// A port nothing listens on (yet): bind an ephemeral one and let it go.
int vacant_port() {
  FixtureBackend probe;
  return probe.port();
}

// find_projects through the server: the tool's JSON payload (`success` true, or an error with
// its `type`). An empty object when the call was not answered.
json find_projects(int port, const std::string& session, int id) {
  const auto reply = mcp_post(port, session, tool_call(id, "find_projects"));
  if (!reply.ok || reply.status != 200) return json::object();
  const auto response = reply.response(id);
  if (!response || !response->contains("result")) return json::object();
  return json::parse(result_text(*response), nullptr, false);
}

std::string error_type(const json& payload) {
  if (!payload.is_object() || !payload.contains("error")) return {};
  return payload["error"].value("type", "");
}

std::string health_status(TestServer& server) {
  const auto health = server.client()->Get("/health");
  if (!health || health->status != 200) return "unanswered";
  return json::parse(health->body, nullptr, false).value("status", "");
}

}  // namespace

TEST_CASE("backend faults: down, 500, garbage, too deep, stalled, dead, flapping; every call answered") {
  const int backend_port = vacant_port();
  auto config = test_config();
  config.backend_url = "http://127.0.0.1:" + std::to_string(backend_port);
  config.backend_connect_timeout = 1000ms;
  config.backend_read_timeout = 1000ms * time_scale;
  config.backend_request_timeout = 2000ms;
  TestServer server(config);
  BackendScript script;
  auto serve = [&script](const RecordedRequest& request) { return script.answer(request); };
  int id = 1;

  // Down at start: the server starts, sessions open, tools say why they fail.
  const std::string session = open_session(server.port());
  CHECK(health_status(server) == "degraded");
  CHECK(error_type(find_projects(server.port(), session, ++id)) == "connection_error");

  // The backend comes up where it was configured: calls succeed, /health is ready again.
  auto backend = std::make_unique<FixtureBackend>(serve, backend_port);
  CHECK(find_projects(server.port(), session, ++id).value("success", false));
  CHECK(health_status(server) == "ready");

  {  // Up but misbehaving.
    script.mode = Mode::error_500;
    const json failed = find_projects(server.port(), session, ++id);
    CHECK(error_type(failed) == "api_error");
    CHECK(failed["error"].value("http_status", 0) == 500);
    CHECK(health_status(server) == "ready");  // it answers: up, if unhappy

    script.mode = Mode::garbage;
    CHECK(error_type(find_projects(server.port(), session, ++id)) == "invalid_response");

    script.mode = Mode::deep;
    const json deep = find_projects(server.port(), session, ++id);
    CHECK(error_type(deep) == "invalid_response");
    CHECK(deep["error"].value("message", "").find("nested deeper than 100 levels") !=
          std::string::npos);

    script.mode = Mode::huge;
    const json huge = find_projects(server.port(), session, ++id);
    CHECK(error_type(huge) == "invalid_response");
    CHECK(huge["error"].value("message", "").find("over the size limit for backend answers") !=
          std::string::npos);

    script.mode = Mode::costly;
    const json costly = find_projects(server.port(), session, ++id);
    CHECK(error_type(costly) == "invalid_response");
    CHECK(costly["error"].value("message", "").find("too large to parse") != std::string::npos);

    // Stalled: the call ends at the read timeout, and /health answers while it waits.
    script.mode = Mode::stall;
    auto stalled = std::async(std::launch::async, [&, call_id = ++id] {
      return find_projects(server.port(), session, call_id);
    });
    CHECK(health_status(server) != "unanswered");
    CHECK(error_type(stalled.get()) == "read_timeout");
    CHECK(health_status(server) == "degraded");
    script.mode = Mode::healthy;
    CHECK(find_projects(server.port(), session, ++id).value("success", false));
    CHECK(health_status(server) == "ready");
  }

  // Dies mid-run, then comes back.
  backend.reset();
  CHECK(error_type(find_projects(server.port(), session, ++id)) == "connection_error");
  CHECK(health_status(server) == "degraded");
  backend = std::make_unique<FixtureBackend>(serve, backend_port);
  CHECK(find_projects(server.port(), session, ++id).value("success", false));

  // Flapping: up and down in quick succession; each call gets one answer or the other.
  for (int flap = 0; flap < 5; ++flap) {
    backend.reset();
    CHECK(error_type(find_projects(server.port(), session, ++id)) == "connection_error");
    backend = std::make_unique<FixtureBackend>(serve, backend_port);
    CHECK(find_projects(server.port(), session, ++id).value("success", false));
  }
  CHECK(health_status(server) == "ready");
  // One session carried through all of it.
  CHECK(server.app().sessions().counts().streamable_http == 1);
}

TEST_CASE("shutdown while calls wait on a stalled backend: they end, and the server stops within 2 s") {
  // The backend would keep these calls for 20 s, well inside the 30 s limits; shutdown must not
  // wait for it (start-up's probe is cut short the same way).
  FixtureBackend backend([](const RecordedRequest& request) {
    if (request.path == "/api/health") return FixtureReply{200, R"({"status":"healthy"})"};
    return FixtureReply{200, "{}", "application/json", 20s};
  });
  auto config = test_config();
  config.backend_url = "http://127.0.0.1:" + std::to_string(backend.port());
  config.backend_read_timeout = 30s;
  config.backend_request_timeout = 30s;
  auto server = std::make_unique<TestServer>(config);
  const int port = server->port();
  const std::string session = open_session(port);

  std::vector<std::future<json>> calls;
  for (int id = 10; id < 14; ++id)
    calls.push_back(std::async(std::launch::async, [port, &session, id] {
      return find_projects(port, session, id);
    }));
  REQUIRE(eventually([&] { return backend.requests().size() >= 5; }, 5000ms));  // probe + 4 calls

  const auto start = Clock::now();
  server->stop();
  server.reset();  // joins every thread, the ones that were waiting on the backend included
  CHECK(ms_since(start) < 2000 * time_scale);
  for (auto& call : calls)
    CHECK(call.wait_for(5s) == std::future_status::ready);  // answered or closed, never stuck
}
