// Backend tools through the real transport, many sessions at once: the server forwards 32
// concurrent tools/call requests from 32 sessions to a slow backend in parallel (not one after
// another) and reuses its backend connections. Also run under TSan.
#include "fixture_backend.hpp"
#include "test_server.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

using namespace itest;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;

namespace {

constexpr int sessions = 32;

// Holds every backend request until `expected` are in flight at once (or a generous deadline
// passes), then answers all of them after `delay`. If the server sent the calls one after
// another, the first would wait out the deadline alone and max_in_flight() would stay at 1.
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : expected_(expected) {}

  FixtureReply arrive(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    if (in_flight_ >= expected_) all_here_.notify_all();
    all_here_.wait_for(lock, io_timeout * time_scale, [&] { return max_in_flight_ >= expected_; });
    --in_flight_;
    const json body{{"projects", json::array({json{{"id", "p-1"}, {"title", "Alpha"}}})}, {"count", 1}};
    return FixtureReply{200, body.dump(), "application/json", delay};
  }

  [[nodiscard]] int max_in_flight() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
  }

 private:
  const int expected_;
  mutable std::mutex mutex_;
  std::condition_variable all_here_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

struct CallOutcome {
  bool answered = false;
  json payload;  // the tool's JSON result
  std::string problem;
};

CallOutcome call_find_projects(int port, const std::string& session, int id) {
  CallOutcome out;
  const auto reply = mcp_post(port, session, tool_call(id, "find_projects"));
  if (!reply.ok || reply.status != 200) {
    out.problem = "HTTP status " + std::to_string(reply.status);
    return out;
  }
  const auto response = reply.response(id);
  if (!response || !response->contains("result")) {
    out.problem = "no result in the response";
    return out;
  }
  out.answered = true;
  out.payload = json::parse(result_text(*response), nullptr, false);
  return out;
}

// Every session calls find_projects at the same moment; returns the outcomes.
std::vector<CallOutcome> call_from_all(int port, const std::vector<std::string>& ids, int round) {
  std::vector<CallOutcome> outcomes(ids.size());
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      outcomes[i] = call_find_projects(port, ids[i], 100 * round + static_cast<int>(i));
    });
  }
  while (ready.load() < static_cast<int>(ids.size())) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  return outcomes;
}

}  // namespace

TEST_CASE("32 sessions call a backend tool at once: served in parallel on reused connections") {
  FixtureBackend fx;
  auto config = test_config();
  config.conformance_fixtures = false;
  config.backend_url = fx.url();
  TestServer server(config);

  std::vector<std::string> ids;
  for (int i = 0; i < sessions; ++i) ids.push_back(open_session(server.port()));

  // Round 1: the backend answers 200 ms after all 32 calls have reached it.
  Rendezvous first(sessions);
  fx.on([&](const RecordedRequest& req) {
    if (req.path == "/api/health") return FixtureReply{200, R"({"status":"healthy"})"};
    return first.arrive(std::chrono::milliseconds(200));
  });
  const auto start = Clock::now();
  const auto outcomes = call_from_all(server.port(), ids, 1);
  const auto took = ms_since(start);
  for (int i = 0; i < sessions; ++i) {
    INFO("session " << i << ": " << outcomes[i].problem << " " << outcomes[i].payload.dump());
    REQUIRE(outcomes[i].answered);
    CHECK(outcomes[i].payload["success"] == true);
    CHECK(outcomes[i].payload["projects"][0]["id"] == "p-1");
  }
  CHECK(first.max_in_flight() == sessions);  // all 32 were at the backend at the same time
  const std::size_t connections_after_first = fx.connections();
  MESSAGE(sessions << " calls against a 200 ms backend took " << took << " ms (serially: "
                   << sessions * 200 << " ms) on " << connections_after_first
                   << " backend connections");
  // One connection per concurrent caller at most (+1 for the init health probe).
  CHECK(connections_after_first <= static_cast<std::size_t>(sessions) + 1);

  // Round 2 right after: the connections are reused, none or almost none are opened.
  Rendezvous second(sessions);
  fx.on([&](const RecordedRequest&) { return second.arrive(std::chrono::milliseconds(0)); });
  const auto again = call_from_all(server.port(), ids, 2);
  for (const auto& outcome : again) CHECK(outcome.answered);
  CHECK(second.max_in_flight() == sessions);
  MESSAGE("the second round opened " << fx.connections() - connections_after_first
                                     << " new backend connections");
  CHECK(fx.connections() <= connections_after_first + 2);
}
