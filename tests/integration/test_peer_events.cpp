// Processes on one session store tell each other what their clients cannot (server/peer_relay,
// sessions/peer_bus): with no proxy affinity a session's requests land on any of them, so a
// DELETE on one must end the session's stream on another, a list that changed on one must be
// announced on the streams another holds, and a client's answer to a server→client request
// must reach the process whose tool asked, wherever the client sent it.
#include "../embedded/temp_dir.hpp"
#include "test_server.hpp"
#include "test_store.hpp"

using namespace itest;

namespace {

// The store the processes of one test share: a file in `dir`, or in the _pg twin a new
// PostgreSQL database (where NOTIFY, not the poll, carries the events).
std::string peer_store(const embedded_test::TempDir& dir) {
  return test_support::fresh_store(dir.file("sessions.db"));
}

mcpgate::Config peer_config(const std::string& store) {
  auto config = test_config();
  config.session_store = store;
  return config;
}

// Carry `id` on at `port` (a process that does not hold it restores it from the store).
void use_session(int port, const std::string& id) {
  const auto ping = mcp_post(port, id, rpc_request(99, "ping"));
  REQUIRE(ping.status == 200);
}

// Reads `stream` until an event's JSON-RPC method is `method`, or the stream ends or times out.
bool saw_method(RawHttp& stream, std::string_view method) {
  const auto deadline = Clock::now() + io_timeout * time_scale;
  while (Clock::now() < deadline) {
    auto message = stream.next_message(io_timeout * time_scale);
    if (!message) return false;
    if (message->value("method", "") == method) return true;
  }
  return false;
}

// Calls test_elicitation (request `call_id`) at `port`; returns the POST's stream once the
// tool's elicitation/create request has arrived on it, and that request.
std::pair<std::unique_ptr<RawHttp>, json> call_asking_tool(int port, const std::string& id,
                                                           int call_id) {
  auto post = std::make_unique<RawHttp>(port);
  REQUIRE(post->send_request("POST", "/mcp", mcp_headers(id, latest),
                             tool_call(call_id, "test_elicitation", {{"message", "Who are you?"}}).dump()));
  REQUIRE(post->read_head());
  REQUIRE(post->status() == 200);
  auto request = post->next_message();
  REQUIRE(request.has_value());
  REQUIRE((*request)["method"] == "elicitation/create");
  return {std::move(post), std::move(*request)};
}

}  // namespace

TEST_CASE("peer events: a DELETE on one process ends the session's GET stream on another at once") {
  embedded_test::TempDir dir;
  const auto store = peer_store(dir);
  TestServer a(peer_config(store));
  TestServer b(peer_config(store));
  const std::string id = open_session(a.port());
  use_session(b.port(), id);
  auto stream = open_get_stream(b.port(), id);
  REQUIRE(stream->status() == 200);

  const auto bye = exchange(a.port(), "DELETE", "/mcp", mcp_headers(id, latest));
  CHECK(bye.status == 200);
  // Without the event, b would keep the stream open until it next writes the session's use.
  while (stream->next_event(io_timeout * time_scale)) {
  }
  CHECK((stream->body_ended() || stream->peer_closed()));
  CHECK(eventually([&] { return b.app().sessions().counts().streamable_http == 0; },
                   io_timeout * time_scale));
}

TEST_CASE("peer events: a tool list changed on one process is announced on a stream another holds") {
  embedded_test::TempDir dir;
  const auto store = peer_store(dir);
  TestServer a(peer_config(store));
  TestServer b(peer_config(store));
  const std::string id = open_session(a.port());
  use_session(b.port(), id);
  auto stream = open_get_stream(b.port(), id);
  REQUIRE(stream->status() == 200);

  const auto trigger = mcp_post(a.port(), id, tool_call(5, "test_trigger_tool_change"));
  REQUIRE(trigger.status == 200);
  CHECK(saw_method(*stream, "notifications/tools/list_changed"));
}

TEST_CASE("peer events: an elicitation answer sent to another process completes the call") {
  embedded_test::TempDir dir;
  const auto store = peer_store(dir);
  TestServer a(peer_config(store));
  TestServer b(peer_config(store));
  const std::string id = open_session(a.port(), latest, {{"elicitation", json::object()}});

  // The call runs on b and asks the client; the client's answer goes to a.
  auto asked = call_asking_tool(b.port(), id, 20);
  RawHttp& post = *asked.first;
  const json& request = asked.second;

  const auto answer = mcp_post(
      a.port(), id,
      json{{"jsonrpc", "2.0"},
           {"id", request["id"]},
           {"result", {{"action", "accept"}, {"content", {{"username", "ada"}, {"email", "ada@example.com"}}}}}});
  CHECK(answer.status == 202);

  auto result = post.next_message(io_timeout * time_scale);
  REQUIRE(result.has_value());
  CHECK((*result)["id"] == 20);
  CHECK(result_text(*result).find("ada@example.com") != std::string::npos);
}

TEST_CASE("peer events: a cancellation sent to another process cancels the call") {
  embedded_test::TempDir dir;
  const auto store = peer_store(dir);
  TestServer a(peer_config(store));
  TestServer b(peer_config(store));
  const std::string id = open_session(a.port(), latest, {{"elicitation", json::object()}});

  auto asked = call_asking_tool(b.port(), id, 21);
  RawHttp& post = *asked.first;

  const auto cancel = mcp_post(a.port(), id,
                               rpc_notification("notifications/cancelled", {{"requestId", 21}}));
  CHECK(cancel.status == 202);
  // A cancelled request gets no response: its stream ends without one.
  CHECK(!post.next_message(io_timeout * time_scale).has_value());
  CHECK(post.body_ended());
}

TEST_CASE("peer events: a log level set on one process holds for the session's requests on another") {
  embedded_test::TempDir dir;
  const auto store = peer_store(dir);
  TestServer a(peer_config(store));
  TestServer b(peer_config(store));
  const std::string id = open_session(a.port());
  use_session(b.port(), id);  // b holds the session now, at the level it had
  auto held_on_b = b.app().sessions().held(id);
  REQUIRE(held_on_b);
  REQUIRE(held_on_b->log_level() != mcpgate::tools::LogLevel::error);

  const auto set = mcp_post(a.port(), id,
                            rpc_request(30, "logging/setLevel", {{"level", "error"}}));
  REQUIRE(set.status == 200);
  // The record is written at once: a process that restores the session now has the level...
  TestServer c(peer_config(store));
  use_session(c.port(), id);
  auto held_on_c = c.app().sessions().held(id);
  REQUIRE(held_on_c);
  CHECK(held_on_c->log_level() == mcpgate::tools::LogLevel::error);
  // ...and one that held it already takes it from the peer event.
  CHECK(eventually([&] { return held_on_b->log_level() == mcpgate::tools::LogLevel::error; },
                   io_timeout * time_scale));
}
