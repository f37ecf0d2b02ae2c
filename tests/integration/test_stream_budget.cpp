// Outgoing SSE streams: no answer is ever lost without the client being told. A stream far
// behind still gets every answer; a client that stops reading is cut off once its stream holds
// --max-stream-bytes (the stream ends, the legacy session with it), others are served meanwhile;
// a Last-Event-ID resume that could not be complete is answered 410, never with a hole.
#include "test_server.hpp"

#include <fstream>

using namespace itest;

namespace {

// A request id that makes its answer about `size` bytes, and tells which request it was.
json padded_id(int n, std::size_t size) { return std::to_string(n) + ":" + std::string(size, 'x'); }

int id_number(const json& id) {
  return id.is_string() ? std::atoi(id.get<std::string>().c_str()) : -1;
}

// This process's resident set (the server runs in it), in bytes.
std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}


bool legacy_ping_answered(int port, LegacyStream& stream, int id) {
  httplib::Client client("127.0.0.1", port);
  const auto posted = client.Post(stream.post_target.c_str(), rpc_request(id, "ping").dump(),
                                  "application/json");
  if (!posted || posted->status != 202) return false;
  const auto answer = stream.http->next_message();
  return answer && (*answer)["id"] == id && answer->contains("result");
}

std::string metrics_text(const TestServer& server) {
  const auto res = server.client()->Get("/metrics");
  return res ? res->body : std::string();
}

// The value of one sample line ("name{labels} value") of /metrics, or -1.
double metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::atof(text.c_str() + at + series.size() + 2);
}

}  // namespace

TEST_CASE("a 2025-03-26 batch of 1,000 pings gets 1,000 answers") {
  TestServer server;
  const std::string session = open_session(server.port(), "2025-03-26");
  json batch = json::array();
  for (int id = 1; id <= 1000; ++id) batch.push_back(rpc_request(id, "ping"));
  const auto answered = mcp_post(server.port(), session, batch, "2025-03-26");
  REQUIRE(answered.ok);
  CHECK(answered.status == 200);
  CHECK(answered.ended);
  const auto messages = answered.messages();
  CHECK(messages.size() == 1000);
  std::vector<bool> seen(1001, false);
  for (const auto& message : messages)
    if (message["id"].is_number_integer() && message["id"] >= 1 && message["id"] <= 1000)
      seen[message["id"].get<std::size_t>()] = true;
  CHECK(std::count(seen.begin(), seen.end(), true) == 1000);
}

TEST_CASE("a legacy client that reads slowly gets every answer of 8,000 requests, in order") {
  // Answers of 4 KB, 32 MB in all: the client reads none of the first 6,000 (far more than the
  // socket buffers take), then a few now and then, so the stream's outbox falls thousands of
  // events behind. The budget is above the total, so every answer must arrive; it used to keep
  // the newest 256 and drop the rest without a word, the session still open.
  auto config = test_config();
  config.max_stream_bytes = 64 * 1024 * 1024;
  config.client_io_timeout = 60000ms;
  TestServer server(config);
  auto stream = open_initialised_legacy(server.port());
  REQUIRE(stream.has_value());

  constexpr int total = 8000;
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  int received = 0;
  bool in_order = true;
  auto take = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const auto message = stream->http->next_message(io_timeout);
      if (!message) return false;
      if (id_number((*message)["id"]) != received + 1) in_order = false;
      ++received;
    }
    return true;
  };
  for (int n = 1; n <= total; ++n) {
    const auto posted = client.Post(stream->post_target.c_str(),
                                    rpc_request(padded_id(n, 4000), "ping").dump(),
                                    "application/json");
    REQUIRE(posted);
    REQUIRE(posted->status == 202);
    if (n > 6000 && n % 100 == 0) REQUIRE(take(20));
  }
  take(total - received);
  INFO("answers received: " << received);
  CHECK(received == total);
  CHECK(in_order);
  CHECK_FALSE(stream->http->peer_closed());
}

TEST_CASE("a legacy client that stops reading is cut off at the budget; others are served") {
  // The write timeout is long, so only the byte budget can end this within the test.
  auto config = test_config();
  config.max_stream_bytes = 1024 * 1024;
  config.client_io_timeout = 60000ms;
  TestServer server(config);
  auto bystander = open_initialised_legacy(server.port());
  REQUIRE(bystander.has_value());
  auto stuck = open_initialised_legacy(server.port());
  REQUIRE(stuck.has_value());
  const std::size_t rss_before = rss_bytes();

  // 32 KB answers; a client that reads none of them. The socket buffers take several MB, then
  // the outbox fills to its budget and the stream is cut off: later POSTs get 404.
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  int accepted = 0;
  bool cut_off = false;
  std::size_t rss_peak = rss_before;
  for (int n = 1; n <= 4000; ++n) {
    const auto posted = client.Post(stuck->post_target.c_str(),
                                    rpc_request(padded_id(n, 32 * 1024), "ping").dump(),
                                    "application/json");
    REQUIRE(posted);
    if (posted->status == 404) {
      cut_off = true;
      CHECK(error_message(body_of(posted)).find("--max-stream-bytes") != std::string::npos);
      break;
    }
    REQUIRE(posted->status == 202);
    ++accepted;
    if (n % 100 == 0) {
      REQUIRE(legacy_ping_answered(server.port(), *bystander, 100000 + n));
      rss_peak = std::max(rss_peak, rss_bytes());
    }
  }
  INFO("requests accepted before the cut-off: " << accepted << " (" << accepted * 32 / 1024
                                                << " MB of answers)");
  CHECK(cut_off);
  CHECK(accepted < 4000);
  // Everything the stream held is bounded by its budget; what the process holds beyond that is
  // the other session, buffers and allocator slack.
  INFO("RSS grew by " << (rss_peak - rss_before) / (1024 * 1024) << " MiB");
  if (rss_is_meaningful) CHECK(rss_peak - rss_before < 64u * 1024 * 1024);
  CHECK(legacy_ping_answered(server.port(), *bystander, 1));

  const std::string metrics = metrics_text(server);
  CHECK(metric(metrics, "mcpgate_sse_streams_overflowed_total") == 1);
  CHECK(metric(metrics, R"(mcpgate_sse_events_total{state="dropped"})") >= 1);
}

TEST_CASE("a Streamable HTTP stream over budget ends; it resumes as far as it holds, then 410") {
  auto config = test_config();
  config.max_stream_bytes = 256 * 1024;
  TestServer server(config);
  const std::string session = open_session(server.port(), "2025-03-26");

  // 2,000 answers of 1 KB for a 256 KiB budget, all produced before the client reads any.
  json batch = json::array();
  for (int n = 1; n <= 2000; ++n) batch.push_back(rpc_request(padded_id(n, 1000), "ping"));
  const auto answered = mcp_post(server.port(), session, batch, "2025-03-26");
  REQUIRE(answered.ok);
  CHECK(answered.status == 200);
  CHECK(answered.ended);
  // What arrived is a prefix with no hole, and it is not everything: the stream was cut off.
  std::vector<std::string> ids;
  int expected = 1;
  bool prefix = true;
  for (const auto& event : answered.events) {
    if (!event.message()) continue;
    ids.push_back(event.id);
    if (id_number(event.payload()["id"]) != expected++) prefix = false;
  }
  INFO("answers before the cut-off: " << ids.size());
  CHECK(prefix);
  REQUIRE(ids.size() > 10);
  CHECK(ids.size() < 2000);

  auto resume = [&](const std::string& last_event_id) {
    return exchange(server.port(), "GET", "/mcp",
                    {{"Accept", "text/event-stream"},
                     {"Mcp-Session-Id", session},
                     {"MCP-Protocol-Version", "2025-03-26"},
                     {"Last-Event-ID", last_event_id}},
                    {}, 5000ms);
  };
  // From an event it holds: the rest of what it holds, then the end.
  const auto partial = resume(ids[ids.size() - 4]);
  REQUIRE(partial.ok);
  CHECK(partial.status == 200);
  CHECK(partial.messages().size() == 3);
  CHECK(partial.ended);
  // From its last event: nothing could follow but a hole, so the client is told.
  const auto past = resume(ids.back());
  REQUIRE(past.ok);
  CHECK(past.status == 410);
  CHECK(error_code(past.json_body()) == -32000);
  CHECK(error_message(past.json_body()).find("byte budget") != std::string::npos);

  // The session itself goes on.
  const auto ping = mcp_post(server.port(), session, rpc_request(5, "ping"), "2025-03-26");
  REQUIRE(ping.response(5).has_value());
}

TEST_CASE("a Last-Event-ID resume from before the replay buffer is refused with 410") {
  // --json-response: a tool's log messages go to the session's GET stream. Twelve of them,
  // read by the client; then resumes from an event still kept and from one evicted.
  auto config = test_config();
  config.json_response = true;
  config.replay_events = 4;
  TestServer server(config);
  const std::string session = open_session(server.port());

  auto get = open_get_stream(server.port(), session);
  REQUIRE(get->status() == 200);
  for (int id = 1; id <= 4; ++id) {
    const auto call = mcp_post(server.port(), session, tool_call(id, "test_tool_with_logging"));
    REQUIRE(call.response(id).has_value());
  }
  std::vector<std::string> ids;
  while (ids.size() < 12) {
    auto event = get->next_event(5000ms);
    REQUIRE(event.has_value());
    if (event->message()) ids.push_back(event->id);
  }
  get->close();
  CHECK(ids.front() == "g.1");
  CHECK(ids.back() == "g.12");

  auto client = server.client();
  auto resume = [&](const std::string& last_event_id) {
    return client->Get("/mcp", {{"Accept", "text/event-stream"},
                                {"Mcp-Session-Id", session},
                                {"MCP-Protocol-Version", latest},
                                {"Last-Event-ID", last_event_id}});
  };
  const auto evicted = resume("g.2");
  REQUIRE(evicted);
  CHECK(evicted->status == 410);
  CHECK(error_code(body_of(evicted)) == -32000);
  CHECK(error_message(body_of(evicted)).find("replay buffer") != std::string::npos);

  auto kept = open_get_stream(server.port(), session, latest, {{"Last-Event-ID", "g.9"}});
  REQUIRE(kept->status() == 200);
  std::vector<std::string> replayed;
  while (replayed.size() < 3) {
    auto event = kept->next_event(5000ms);
    REQUIRE(event.has_value());
    if (event->message()) replayed.push_back(event->id);
  }
  CHECK(replayed == std::vector<std::string>{"g.10", "g.11", "g.12"});
}
