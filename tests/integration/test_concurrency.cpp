// The concurrency core: many open streams, a thundering herd on a slow lazy init, failing init,
// shutdown with open streams, and the connection and session caps. Also run under TSan.
#include "test_server.hpp"

#include <atomic>
#include <latch>
#include <set>

using namespace itest;

namespace {

httplib::Result post_initialize(httplib::Client& client, const json& id = 1) {
  return client.Post("/mcp", httplib::Headers{{"Accept", accept_both}},
                     initialize_request(id, latest).dump(), "application/json");
}

// The JSON-RPC response inside an SSE or JSON body of a plain httplib response.
std::optional<json> response_in(const std::string& body, const json& id) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("id") && parsed["id"] == id) return parsed;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    pos += 6;
    const auto eol = body.find('\n', pos);
    const json message = json::parse(body.substr(pos, eol - pos), nullptr, false);
    if (message.is_object() && message.contains("id") && message["id"] == id) return message;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("64 legacy and 64 Streamable HTTP streams open: a new client is served at once") {
  TestServer server;
  const int port = server.port();
  auto& registry = server.app().sessions();
  constexpr int streams_per_transport = 64;

  std::vector<LegacyStream> legacy;
  for (int i = 0; i < streams_per_transport; ++i) {
    auto stream = open_legacy(port);
    REQUIRE(stream.has_value());
    legacy.push_back(std::move(*stream));
  }
  std::vector<std::string> sessions;
  std::vector<std::unique_ptr<RawHttp>> gets;
  for (int i = 0; i < streams_per_transport; ++i) {
    sessions.push_back(open_session(port));
    gets.push_back(open_get_stream(port, sessions.back()));
    REQUIRE(gets.back()->status() == 200);
    auto priming = gets.back()->next_event();
    REQUIRE(priming.has_value());
    CHECK(priming->priming());
  }
  CHECK(registry.counts().legacy_sse == streams_per_transport);
  CHECK(registry.counts().streamable_http == streams_per_transport);

  // A new client: initialize, initialized, tools/call session_info, all within 2 s.
  const auto start = Clock::now();
  const std::string fresh = open_session(port);
  const auto info = mcp_post(port, fresh, tool_call(2, "session_info"));
  const auto took = ms_since(start);
  INFO("initialize + session_info took " << took << " ms");
  CHECK(took < 2000 * time_scale);
  REQUIRE(info.status == 200);
  const auto response = info.response(2);
  REQUIRE(response.has_value());
  const json payload = json::parse(result_text(*response), nullptr, false);
  const auto& management = payload["session_management"];
  CHECK(management["sessions_by_transport"]["streamable_http"] == streams_per_transport + 1);
  CHECK(management["sessions_by_transport"]["legacy_sse"] == streams_per_transport);
  CHECK(management["active_sessions"] == 2 * streams_per_transport + 1);
  // Every one of them is in use (a stream open, or just created): all recently active.
  CHECK(management["recently_active_sessions"] == 2 * streams_per_transport + 1);
  CHECK(management["recent_window_seconds"] == 300);
  CHECK(management["current_session"] == fresh);

  auto client = server.client();
  auto removed = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", fresh}});
  REQUIRE(removed);
  CHECK(removed->status == 200);

  // Close every stream: legacy sessions end with their stream, Streamable HTTP ones stay.
  for (auto& stream : legacy) stream.http->close();
  for (auto& get : gets) get->close();
  const bool settled = eventually(
      [&] {
        const auto counts = registry.counts();
        return counts.legacy_sse == 0 && counts.streamable_http == streams_per_transport;
      },
      5000ms);
  CHECK(settled);
  CHECK(registry.counts().legacy_sse == 0);
  CHECK(registry.counts().streamable_http == streams_per_transport);

  // The Streamable HTTP sessions are still usable; a new GET stream may open on each.
  const auto still = mcp_post(port, sessions.front(), rpc_request(3, "ping"));
  CHECK(still.status == 200);
  CHECK(still.response(3).has_value());
  std::unique_ptr<RawHttp> reopened;
  CHECK(eventually(
      [&] {
        reopened = open_get_stream(port, sessions.back());
        return reopened->status() == 200;
      },
      5000ms));
  reopened.reset();

  int deleted = 0;
  for (const auto& session : sessions) {
    auto res = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", session}});
    if (res && res->status == 200) ++deleted;
  }
  CHECK(deleted == streams_per_transport);
  CHECK(registry.counts().total() == 0);
}

TEST_CASE("thundering herd: 200 concurrent initializes share one slow lazy init") {
  auto config = test_config();
  config.test_init_delay = 2000ms;
  TestServer server(config);
  constexpr int clients = 200;

  std::vector<int> statuses(clients, 0);
  std::vector<std::string> session_ids(clients);
  std::vector<char> has_result(clients, 0);
  std::latch start_line(clients + 1);
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      auto client = server.client();
      client->set_read_timeout(20 * time_scale, 0);
      start_line.arrive_and_wait();
      auto res = post_initialize(*client, i);
      if (!res) return;
      statuses[i] = res->status;
      session_ids[i] = res->get_header_value("Mcp-Session-Id");
      auto response = response_in(res->body, i);
      has_result[i] = response && response->contains("result");
    });
  }
  const auto began = Clock::now();
  start_line.arrive_and_wait();
  for (auto& thread : threads) thread.join();
  const auto took = ms_since(began);
  INFO("the herd took " << took << " ms");

  int ok = 0, with_result = 0;
  for (int i = 0; i < clients; ++i) {
    if (statuses[i] == 200) ++ok;
    if (has_result[i]) ++with_result;
  }
  CHECK(ok == clients);
  CHECK(with_result == clients);
  std::set<std::string> unique(session_ids.begin(), session_ids.end());
  unique.erase("");
  CHECK(unique.size() == static_cast<std::size_t>(clients));
  CHECK(server.app().gate().status().runs == 1);
  CHECK(server.app().init_state() == "ready");
  CHECK(server.app().sessions().counts().streamable_http == static_cast<std::size_t>(clients));
  CHECK(took >= 1900);
  CHECK(took < 8000 * time_scale);
}

TEST_CASE("failing init: 503 with Retry-After and the cause; /health reports it; retry succeeds") {
  auto config = test_config();
  config.test_init_failures = 1;
  // Long enough that the checks below all run inside the backoff, on a loaded machine too (at
  // 300 ms the retry sometimes succeeded before the legacy check, whose GET then got a stream).
  config.init_retry = 2000ms;
  TestServer server(config);
  auto client = server.client();

  auto first = post_initialize(*client);
  REQUIRE(first);
  CHECK(first->status == 503);
  CHECK(first->has_header("Retry-After"));
  CHECK(std::atoi(first->get_header_value("Retry-After").c_str()) >= 1);
  const json error = body_of(first);
  CHECK(error_code(error) == -32603);
  CHECK(error_message(error).find("simulated initialisation failure") != std::string::npos);
  CHECK(first->get_header_value("Mcp-Session-Id").empty());

  auto health = client->Get("/health");
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(body_of(health)["status"] == "failed");
  CHECK(body_of(health)["initialization"]["last_error"].get<std::string>().find(
            "simulated initialisation failure") != std::string::npos);

  // Legacy clients see the same failure.
  auto legacy = client->Get("/sse", {{"Accept", "text/event-stream"}});
  REQUIRE(legacy);
  CHECK(legacy->status == 503);
  CHECK(legacy->has_header("Retry-After"));

  std::this_thread::sleep_for(2100ms);  // past the backoff
  auto retry = post_initialize(*client, 2);
  REQUIRE(retry);
  CHECK(retry->status == 200);
  const auto response = response_in(retry->body, 2);
  REQUIRE(response.has_value());
  CHECK(response->contains("result"));
  CHECK(server.app().gate().status().runs == 2);

  auto healthy = client->Get("/health");
  REQUIRE(healthy);
  CHECK(healthy->status == 200);
  CHECK(body_of(healthy)["status"] == "ready");
}

TEST_CASE("/health answers at once during a slow init") {
  auto config = test_config();
  config.test_init_delay = 2000ms;
  TestServer server(config);

  int init_status = 0;
  std::thread initializer([&] {
    auto client = server.client();
    auto res = post_initialize(*client);
    if (res) init_status = res->status;
  });
  const bool running = eventually(
      [&] {
        return server.app().gate().status().state ==
               mcpgate::InitGate<mcpgate::SharedContext>::State::running;
      },
      5000ms);
  CHECK(running);

  auto client = server.client();
  const auto start = Clock::now();
  auto health = client->Get("/health");
  const auto took = ms_since(start);
  INFO("/health took " << took << " ms during the slow init");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(body_of(health)["status"] == "starting");
  CHECK(took < 500 * time_scale);

  // Other sessions' requests are not blocked either: a ping without a session is answered.
  auto missing_session = client->Post("/mcp", httplib::Headers{{"Accept", accept_both}},
                                      rpc_request(9, "ping").dump(), "application/json");
  REQUIRE(missing_session);
  CHECK(missing_session->status == 400);

  initializer.join();
  CHECK(init_status == 200);
  CHECK(server.app().init_state() == "ready");
}

TEST_CASE("shutdown with 200 open streams takes less than 2 s") {
  TestServer server;
  const int port = server.port();
  std::vector<std::unique_ptr<RawHttp>> streams;
  for (int i = 0; i < 100; ++i) {
    auto stream = open_legacy(port);
    REQUIRE(stream.has_value());
    streams.push_back(std::move(stream->http));
  }
  for (int i = 0; i < 100; ++i) {
    const std::string session = open_session(port);
    auto get = open_get_stream(port, session);
    REQUIRE(get->status() == 200);
    streams.push_back(std::move(get));
  }
  CHECK(server.app().sessions().counts().total() == 200);

  const auto took = server.stop();
  INFO("stop() + run() returning took " << took.count() << " ms");
  CHECK(took.count() < 2000 * time_scale);

  int closed = 0;
  for (auto& stream : streams) {
    (void)stream->read_all_events(2000ms);
    if (stream->peer_closed() || stream->body_ended()) ++closed;
  }
  CHECK(closed == 200);
}

TEST_CASE("max_connections: the 9th connection gets an immediate 503, not a hang") {
  auto config = test_config();
  config.max_connections = 8;
  TestServer server(config);
  const int port = server.port();

  std::vector<LegacyStream> streams;
  for (int i = 0; i < 8; ++i) {
    auto stream = open_legacy(port);
    REQUIRE(stream.has_value());
    streams.push_back(std::move(*stream));
  }

  auto client = server.client();
  const auto start = Clock::now();
  auto rejected = client->Get("/health");
  const auto took = ms_since(start);
  INFO("the 9th connection was answered in " << took << " ms");
  REQUIRE(rejected);
  CHECK(rejected->status == 503);
  CHECK(rejected->has_header("Retry-After"));
  CHECK(took < 1000 * time_scale);

  RawHttp ninth(port);
  REQUIRE(ninth.send_request("GET", "/sse", {{"Accept", "text/event-stream"}}));
  REQUIRE(ninth.read_head(3000ms));
  CHECK(ninth.status() == 503);

  // Closing one stream frees its connection slot.
  streams.back().http->close();
  streams.pop_back();
  const bool recovered = eventually(
      [&] {
        auto res = client->Get("/health");
        return res && res->status == 200;
      },
      5000ms);
  CHECK(recovered);

  for (auto& stream : streams) stream.http->close();
  streams.clear();
  const bool all_free = eventually(
      [&] { return server.app().sessions().counts().legacy_sse == 0; }, 5000ms);
  CHECK(all_free);
  const std::string session = open_session(port);
  const auto ping = mcp_post(port, session, rpc_request(2, "ping"));
  CHECK(ping.status == 200);
  CHECK(ping.response(2).has_value());
}

TEST_CASE("max_sessions: past the cap, with every session busy, initialize and /sse get 503") {
  auto config = test_config();
  config.max_sessions = 3;
  TestServer server(config);
  const int port = server.port();
  auto client = server.client();

  // Busy: each has a stream open to its client (idle ones would make room, see
  // test_session_limits).
  const std::string first = open_session(port);
  const std::string second = open_session(port);
  auto first_stream = open_get_stream(port, first);
  auto second_stream = open_get_stream(port, second);
  REQUIRE(first_stream->status() == 200);
  REQUIRE(second_stream->status() == 200);
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());

  auto over = post_initialize(*client, 5);
  REQUIRE(over);
  CHECK(over->status == 503);
  CHECK(over->has_header("Retry-After"));
  CHECK(error_code(body_of(over)) == -32000);
  CHECK(error_message(body_of(over)).find("session limit") != std::string::npos);
  CHECK(over->get_header_value("Mcp-Session-Id").empty());

  auto over_sse = client->Get("/sse", {{"Accept", "text/event-stream"}});
  REQUIRE(over_sse);
  CHECK(over_sse->status == 503);
  CHECK(error_message(body_of(over_sse)).find("session limit") != std::string::npos);
  CHECK(server.app().sessions().counts().total() == 3);

  auto removed = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", first}});
  REQUIRE(removed);
  CHECK(removed->status == 200);
  auto again = post_initialize(*client, 6);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(!again->get_header_value("Mcp-Session-Id").empty());
}
