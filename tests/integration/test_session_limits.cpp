// What one session may make the server hold, through the real server: what it keeps of
// initialize (--max-session-data), its requests in flight (--max-inflight) and their threads
// and backend calls once it ends (DELETE, its legacy stream closing), and sessions nobody uses
// (at --max-sessions the idlest make room instead of newcomers being refused).
#include "fixture_backend.hpp"
#include "modern_client.hpp"
#include "test_server.hpp"

#include <charconv>

using namespace itest;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;

namespace {

// A backend whose every call but the health probe stalls for 20 s: far longer than any wait
// below, so a call that ends within them was cancelled.
FixtureReply stall(const RecordedRequest& request) {
  if (request.path == "/api/health") return FixtureReply{200, R"({"status":"healthy"})"};
  return FixtureReply{200, R"({"projects":[],"count":0})", "application/json", 20s};
}

mcpgate::Config stalled_backend_config(const FixtureBackend& backend) {
  auto config = test_config();
  config.backend_url = "http://127.0.0.1:" + std::to_string(backend.port());
  config.backend_read_timeout = 30s;
  config.backend_request_timeout = 30s;
  return config;
}

// The backend calls made so far, the start-up probe left out.
std::size_t tool_calls(const FixtureBackend& backend) {
  std::size_t calls = 0;
  for (const auto& request : backend.requests())
    if (request.path != "/api/health") ++calls;
  return calls;
}

// One sample of the server's /metrics, e.g. mcpgate_threads{pool="request",state="busy"}.
long metric(TestServer& server, std::string_view series) {
  // At a line's start: the series' name also appears in its # HELP and # TYPE lines.
  const std::string text = "\n" + server.app().metrics();
  const auto at = text.find("\n" + std::string(series) + " ");
  if (at == std::string::npos) return -1;
  const char* first = text.data() + at + 1 + series.size() + 1;
  long value = -1;
  std::from_chars(first, text.data() + text.size(), value);
  return value;
}

json initialize_with(json capabilities, json client_info) {
  return rpc_request(1, "initialize",
                     {{"protocolVersion", latest},
                      {"capabilities", std::move(capabilities)},
                      {"clientInfo", std::move(client_info)}});
}

}  // namespace

TEST_CASE("initialize over --max-session-data: 400 with -32602 and no session (Streamable HTTP)") {
  auto config = test_config();
  config.max_session_data = 4096;
  TestServer server(config);
  const int port = server.port();
  // 5,000 small members: 60 KB of text, a few hundred KB parsed, kept for the session's life
  // before the budget.
  json capabilities = json::object();
  for (int i = 0; i < 5000; ++i) capabilities["x" + std::to_string(i)] = json::array({i});
  const auto refused = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                                initialize_with(capabilities, {{"name", "c"}}).dump());
  REQUIRE(refused.ok);
  CHECK(refused.status == 400);
  CHECK(refused.header("Mcp-Session-Id").empty());
  const json body = refused.json_body();
  CHECK(body["id"] == 1);
  CHECK(error_code(body) == -32602);
  CHECK(error_message(body).find("--max-session-data") != std::string::npos);
  CHECK(server.app().sessions().counts().total() == 0);

  // clientInfo counts too; a real client's initialize passes.
  const auto named = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                              initialize_with({}, {{"name", std::string(5000, 'n')}}).dump());
  CHECK(named.status == 400);
  CHECK(error_code(named.json_body()) == -32602);
  CHECK(!open_session(port).empty());
}

TEST_CASE("initialize over --max-session-data on a legacy SSE session: -32602 on its stream") {
  auto config = test_config();
  config.max_session_data = 4096;
  TestServer server(config);
  auto legacy = open_legacy(server.port());
  REQUIRE(legacy.has_value());
  auto client = server.client();
  const auto posted =
      client->Post(legacy->post_target.c_str(),
                   initialize_with({{"big", std::string(5000, 'b')}}, {{"name", "c"}}).dump(),
                   "application/json");
  REQUIRE(posted);
  CHECK(posted->status == 202);
  const auto answer = legacy->http->next_message();
  REQUIRE(answer.has_value());
  CHECK((*answer)["id"] == 1);
  CHECK(error_code(*answer) == -32602);
  auto session = server.app().sessions().find(legacy->session_id);
  REQUIRE(session);
  CHECK_FALSE(session->initialized());
}

TEST_CASE("--max-inflight: more calls are refused at once; DELETE ends the rest and frees their threads") {
  FixtureBackend backend(stall);
  auto config = stalled_backend_config(backend);
  config.max_inflight = 4;
  TestServer server(config);
  const int port = server.port();
  const std::string session = open_session(port);

  // Four calls of a tool the backend stalls: each holds a connection thread (an Archon tool
  // silent while it runs is called on the POST's own thread) and a backend connection.
  std::vector<std::future<Exchange>> calls;
  for (int id = 10; id < 14; ++id)
    calls.push_back(std::async(std::launch::async, [port, &session, id] {
      return mcp_post(port, session, tool_call(id, "find_projects"), latest);
    }));
  REQUIRE(eventually([&] { return tool_calls(backend) >= 4; }, io_timeout));

  // The fifth is answered at once, with an error saying why, and never reaches the backend.
  const auto refused = mcp_post(port, session, tool_call(14, "find_projects"));
  REQUIRE(refused.ok);
  CHECK(refused.status == 200);
  const auto answer = refused.response(14);
  REQUIRE(answer.has_value());
  CHECK(error_code(*answer) == -32005);
  CHECK(error_message(*answer).find("Too many requests in flight") != std::string::npos);
  CHECK((*answer)["error"]["data"]["limit"] == 4);
  CHECK(tool_calls(backend) == 4);
  // Operators see it in /metrics.
  CHECK(metric(server, R"(mcpgate_requests_refused_total{reason="inflight_cap"})") == 1);
  // Other sessions are served meanwhile.
  const std::string other = open_session(port);
  CHECK(mcp_post(port, other, rpc_request(2, "ping")).response(2).has_value());

  // The session ends: its calls are cancelled, their backend transfers cut, their threads
  // free long before the backend's 20 s.
  auto client = server.client();
  auto removed = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", session}});
  REQUIRE(removed);
  CHECK(removed->status == 200);
  for (auto& call : calls) REQUIRE(call.wait_for(5s) == std::future_status::ready);
  CHECK(eventually(
      [&] { return metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") <= 1; },
      5000ms));
}

TEST_CASE("a legacy SSE stream closing cancels its session's calls and frees their threads") {
  FixtureBackend backend(stall);
  TestServer server(stalled_backend_config(backend));
  auto legacy = open_legacy(server.port());
  REQUIRE(legacy.has_value());
  auto client = server.client();
  auto post = [&](const json& message) {
    return client->Post(legacy->post_target.c_str(), message.dump(), "application/json");
  };
  REQUIRE(post(initialize_request(1, "2024-11-05")));
  REQUIRE(legacy->http->next_message().has_value());
  REQUIRE(post(rpc_notification("notifications/initialized")));
  // A call of a tool silent while it runs is answered 202, then runs on the thread that read
  // its POST: no executor thread is taken.
  for (int id = 2; id < 5; ++id) {
    auto accepted = post(tool_call(id, "find_projects"));
    REQUIRE(accepted);
    CHECK(accepted->status == 202);
  }
  REQUIRE(eventually([&] { return tool_calls(backend) >= 3; }, io_timeout));
  CHECK(metric(server, R"(mcpgate_threads{pool="request",state="busy"})") == 0);
  // The stream's writer and the three calls.
  CHECK(metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") >= 4);

  legacy->http->close();  // the stream is the session: it ends with it
  CHECK(eventually([&] { return server.app().sessions().counts().total() == 0; }, 5000ms));
  CHECK(eventually(
      [&] { return metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") == 0; },
      5000ms));
}

TEST_CASE("a legacy call running after its 202 does not hold its keep-alive connection") {
  FixtureBackend backend(stall);
  TestServer server(stalled_backend_config(backend));
  auto legacy = open_initialised_legacy(server.port());
  REQUIRE(legacy.has_value());
  // One keep-alive connection for every POST, as a client's pool reuses one; a POST that had to
  // wait for the stalled call (20 s) would time out.
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_read_timeout(5, 0);
  auto post = [&](const json& message) {
    return client.Post(legacy->post_target.c_str(), message.dump(), "application/json");
  };
  auto accepted = post(tool_call(2, "find_projects"));
  REQUIRE(accepted);
  CHECK(accepted->status == 202);
  REQUIRE(eventually([&] { return tool_calls(backend) >= 1; }, io_timeout));

  // The same connection carries the next POSTs at once: its cancellation ends the call...
  auto cancelled = post(rpc_notification("notifications/cancelled", {{"requestId", 2}}));
  REQUIRE(cancelled);
  CHECK(cancelled->status == 202);
  CHECK(metric(server, "mcpgate_connections_moved_total") == 1);
  CHECK(eventually(
      [&] { return metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") <= 2; },
      5000ms));
  // ...which sends no answer: the next message on the stream answers the ping after it.
  auto pinged = post(rpc_request(3, "ping"));
  REQUIRE(pinged);
  CHECK(pinged->status == 202);
  const auto answer = legacy->http->next_message();
  REQUIRE(answer.has_value());
  CHECK((*answer)["id"] == 3);
}

TEST_CASE("--max-sessions: a flood of initializes evicts the unused sessions, not real clients") {
  auto config = test_config();
  config.max_sessions = 4;
  TestServer server(config);
  const int port = server.port();

  // A real client: initialized, used, then quiet (no stream open).
  const std::string real = open_session(port);
  CHECK(mcp_post(port, real, rpc_request(2, "tools/list")).response(2).has_value());
  // One listening on its GET stream, never sending a request: busy, never evicted.
  const std::string listening = open_session(port);
  auto stream = open_get_stream(port, listening);
  REQUIRE(stream->status() == 200);

  // Ten initializes that are never used: each gets a session, the oldest of them making room.
  std::vector<std::string> flood;
  for (int i = 0; i < 10; ++i) {
    const auto init = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                               initialize_request(1, latest).dump());
    REQUIRE(init.status == 200);
    flood.push_back(init.header("Mcp-Session-Id"));
  }
  CHECK(server.app().sessions().counts().total() == 4);
  CHECK(server.app().sessions().evictions() == 8);
  CHECK(metric(server, R"(mcpgate_sessions_ended_total{reason="evicted"})") == 8);
  CHECK(metric(server, "mcpgate_sessions_refused_total") == 0);

  // The evicted ids are gone, as expired ones are; the real and the listening clients remain.
  const auto gone = mcp_post(port, flood.front(), rpc_request(3, "ping"));
  CHECK(gone.status == 404);
  CHECK(mcp_post(port, flood.back(), rpc_request(4, "ping")).response(4).has_value());
  CHECK(mcp_post(port, real, rpc_request(5, "ping")).response(5).has_value());
  CHECK(mcp_post(port, listening, rpc_request(6, "ping")).response(6).has_value());
}

TEST_CASE("--max-sessions: with every session busy a newcomer gets 503, counted in /metrics") {
  auto config = test_config();
  config.max_sessions = 2;
  TestServer server(config);
  const int port = server.port();
  // Both sessions listen on their GET streams: busy, so neither may be evicted.
  const std::string first = open_session(port);
  auto first_stream = open_get_stream(port, first);
  REQUIRE(first_stream->status() == 200);
  const std::string second = open_session(port);
  auto second_stream = open_get_stream(port, second);
  REQUIRE(second_stream->status() == 200);

  const auto refused = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                                initialize_request(1, latest).dump());
  CHECK(refused.status == 503);
  CHECK(metric(server, "mcpgate_sessions_refused_total") == 1);
  CHECK(metric(server, R"(mcpgate_sessions_ended_total{reason="evicted"})") == 0);
  CHECK(server.app().sessions().counts().total() == 2);
}

TEST_CASE("modern era: a client that closes its connection cancels its call") {
  FixtureBackend backend(stall);
  TestServer server(stalled_backend_config(backend));
  // A call that waits on the backend runs on its connection's own thread (it has nothing else
  // to do), which must still notice the client leave: whether the answer would have been a
  // stream or one JSON body, or only JSON was accepted.
  std::size_t calls = 0;
  for (const char* accept : {accept_both, "application/json"}) {
    CAPTURE(accept);
    RawHttp http(server.port());
    const json call = modern_request(1, "tools/call", {{"name", "find_projects"}});
    REQUIRE(http.send_request("POST", "/mcp", modern_headers(call, accept), call.dump()));
    ++calls;
    REQUIRE(eventually([&] { return tool_calls(backend) >= calls; }, io_timeout));
    CHECK(metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") == 1);
    http.close();
    CHECK(eventually(
        [&] { return metric(server, R"(mcpgate_threads{pool="connection",state="busy"})") == 0; },
        5000ms));
  }
}
