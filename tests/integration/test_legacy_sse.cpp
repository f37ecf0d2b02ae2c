// The legacy HTTP+SSE transport (MCP 2024-11-05) against the real server over real HTTP.
#include "test_server.hpp"

#include <spdlog/sinks/ringbuffer_sink.h>

using namespace itest;

namespace {

// The server's log lines at info level and above while it lives (after the TestServer, whose
// constructor sets the log level); the previous logger comes back at its end.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  [[nodiscard]] std::size_t count(std::string_view text) const {
    std::size_t found = 0;
    for (const auto& line : sink_->last_formatted())
      if (line.find(text) != std::string::npos) ++found;
    return found;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
};

httplib::Result legacy_post(httplib::Client& client, const std::string& target, const json& body) {
  return client.Post(target.c_str(), httplib::Headers{{"Accept", accept_both}}, body.dump(),
                     "application/json");
}

}  // namespace

TEST_CASE("GET /sse: endpoint event first, relative URL; POSTs answered 202 and on the stream") {
  TestServer server;
  auto client = server.client();

  RawHttp http(server.port());
  REQUIRE(http.send_request("GET", "/sse", {{"Accept", "text/event-stream"},
                                            {"Accept-Encoding", "gzip, br"}}));
  REQUIRE(http.read_head());
  CHECK(http.status() == 200);
  CHECK(http.header("Content-Type") == "text/event-stream");
  CHECK(http.header("Content-Encoding").empty());
  CHECK(http.header("Cache-Control") == "no-cache");
  CHECK(http.header("X-Accel-Buffering") == "no");

  auto endpoint = http.next_event();
  REQUIRE(endpoint.has_value());
  CHECK(endpoint->event == "endpoint");
  const std::string url = endpoint->data;
  INFO("endpoint: " << url);
  CHECK(url.rfind("messages?sessionId=", 0) == 0);  // relative: no leading '/', no scheme
  const std::string session = url.substr(std::string("messages?sessionId=").size());
  CHECK(url_safe_session_id(session));
  const std::string target = "/" + url;

  auto init = legacy_post(*client, target, initialize_request(1, "2024-11-05"));
  REQUIRE(init);
  CHECK(init->status == 202);
  CHECK(init->body == "Accepted");

  auto event = http.next_event();
  REQUIRE(event.has_value());
  CHECK(event->event == "message");
  CHECK(!event->has_id);  // no resumability on the legacy transport
  const json init_response = event->payload();
  CHECK(init_response["id"] == 1);
  CHECK(init_response["result"]["protocolVersion"] == "2024-11-05");

  auto ready = legacy_post(*client, target, rpc_notification("notifications/initialized"));
  REQUIRE(ready);
  CHECK(ready->status == 202);

  auto list = legacy_post(*client, target, rpc_request(2, "tools/list"));
  REQUIRE(list);
  CHECK(list->status == 202);
  CHECK(list->body == "Accepted");
  auto list_event = http.next_event();
  REQUIRE(list_event.has_value());
  CHECK(list_event->event == "message");
  const json tools = list_event->payload();
  CHECK(tools["id"] == 2);
  CHECK(tools["result"]["tools"].is_array());

  auto call = legacy_post(*client, target, tool_call(3, "session_info"));
  REQUIRE(call);
  CHECK(call->status == 202);
  auto call_response = http.next_message();
  REQUIRE(call_response.has_value());
  CHECK((*call_response)["id"] == 3);
  const json info = json::parse(result_text(*call_response), nullptr, false);
  CHECK(info["session_management"]["current_session"] == session);
  CHECK(info["session_management"]["sessions_by_transport"]["legacy_sse"] == 1);

  auto unknown = legacy_post(*client, target, rpc_request(4, "no/such/method"));
  REQUIRE(unknown);
  CHECK(unknown->status == 202);
  auto unknown_response = http.next_message();
  REQUIRE(unknown_response.has_value());
  CHECK((*unknown_response)["id"] == 4);
  CHECK(error_code(*unknown_response) == -32601);

  // The Python SDK's query name works too.
  auto snake = legacy_post(*client, "/messages?session_id=" + session, rpc_request(5, "ping"));
  REQUIRE(snake);
  CHECK(snake->status == 202);
  CHECK(snake->body == "Accepted");
  auto pong = http.next_message();
  REQUIRE(pong.has_value());
  CHECK((*pong)["id"] == 5);
  CHECK((*pong)["result"] == json::object());
}

TEST_CASE("legacy POST errors: unknown session 404, missing 400, bad JSON 400") {
  TestServer server;
  auto client = server.client();
  auto stream = open_legacy(server.port());
  REQUIRE(stream.has_value());

  auto unknown = legacy_post(*client, "/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAA", rpc_request(1, "ping"));
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(error_code(body_of(unknown)) == -32001);

  auto missing = legacy_post(*client, "/messages", rpc_request(1, "ping"));
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_code(body_of(missing)) == -32000);
  CHECK(error_message(body_of(missing)).find("sessionId") != std::string::npos);

  auto bad_json = client->Post(stream->post_target.c_str(), "{not json", "application/json");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  CHECK(error_code(body_of(bad_json)) == -32700);

  auto invalid = legacy_post(*client, stream->post_target, json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", 1}});
  REQUIRE(invalid);
  CHECK(invalid->status == 400);
  CHECK(error_code(body_of(invalid)) == -32600);

  // A Streamable HTTP session id is not a legacy session.
  const std::string streamable = open_session(server.port());
  auto wrong_transport = legacy_post(*client, "/messages?sessionId=" + streamable, rpc_request(3, "ping"));
  REQUIRE(wrong_transport);
  CHECK(wrong_transport->status == 404);

  auto not_sse = client->Get("/sse", {{"Accept", "application/json"}});
  REQUIRE(not_sse);
  CHECK(not_sse->status == 406);
}

TEST_CASE("closing the SSE stream ends the legacy session within the heartbeat interval") {
  auto config = test_config();
  config.heartbeat = 500ms;
  TestServer server(config);
  auto client = server.client();

  auto keep = open_legacy(server.port());
  auto stream = open_legacy(server.port());
  REQUIRE(keep.has_value());
  REQUIRE(stream.has_value());

  auto health_sessions = [&] {
    auto res = client->Get("/health");
    if (!res || res->status != 200) return -1;
    return body_of(res)["sessions"]["legacy_sse"].get<int>();
  };
  CHECK(health_sessions() == 2);

  auto before = legacy_post(*client, stream->post_target, rpc_request(1, "ping"));
  REQUIRE(before);
  CHECK(before->status == 202);
  REQUIRE(stream->http->next_message().has_value());

  const auto closed_at = Clock::now();
  stream->http->close();
  const bool gone = eventually(
      [&] {
        auto res = legacy_post(*client, stream->post_target, rpc_request(2, "ping"));
        return res && res->status == 404;
      },
      3000ms);
  CHECK(gone);
  CHECK(ms_since(closed_at) < 1500 * time_scale);  // liveness is checked every heartbeat (500 ms)
  CHECK(health_sessions() == 1);
  CHECK(server.app().sessions().counts().legacy_sse == 1);

  // The other stream is unaffected.
  auto other = legacy_post(*client, keep->post_target, rpc_request(3, "ping"));
  REQUIRE(other);
  CHECK(other->status == 202);
  auto pong = keep->http->next_message();
  REQUIRE(pong.has_value());
  CHECK((*pong)["id"] == 3);
}

TEST_CASE("legacy SSE: requests on a session never initialized are served as 2024-11-05 with no "
          "client capabilities (a reconnected TypeScript client)") {
  TestServer server;
  const LogCapture logs;
  auto client = server.client();
  auto stream = open_legacy(server.port());
  REQUIRE(stream.has_value());

  // What the 1.x TypeScript SDK sends after it reconnected GET /sse: a call, no initialize.
  auto call = legacy_post(*client, stream->post_target, tool_call(1, "session_info"));
  REQUIRE(call);
  CHECK(call->status == 202);
  auto answer = stream->http->next_message();
  REQUIRE(answer.has_value());
  CHECK((*answer)["id"] == 1);
  REQUIRE(!answer->contains("error"));
  const json info = json::parse(result_text(*answer), nullptr, false);
  CHECK(info["session_management"]["current_session"] == stream->session_id);
  CHECK(info["session_management"]["protocol_version"] == "2024-11-05");

  // No capabilities: sampling is refused as on any session that did not declare it, and the
  // client is never asked.
  auto sampling = legacy_post(*client, stream->post_target,
                              tool_call(2, "test_sampling", {{"prompt", "hi"}}));
  REQUIRE(sampling);
  CHECK(sampling->status == 202);
  auto refused = stream->http->next_message();
  REQUIRE(refused.has_value());
  CHECK(refused->value("method", "") != "sampling/createMessage");
  CHECK((*refused)["id"] == 2);
  CHECK((*refused)["result"]["isError"] == true);
  CHECK(result_text(*refused).find("sampling") != std::string::npos);

  // One log line for the session, however many requests.
  CHECK(logs.count("implicitly initialized") == 1);
  CHECK(logs.count(stream->session_id + ": tools/call came before any initialize") == 1);

  // An explicit initialize afterwards is accepted once (the reference server accepts it too)
  // and what it declares replaces what was assumed; a second one is refused as on any session.
  auto init = legacy_post(*client, stream->post_target,
                          initialize_request(3, "2024-11-05", {{"sampling", json::object()}}));
  REQUIRE(init);
  CHECK(init->status == 202);
  auto init_answer = stream->http->next_message();
  REQUIRE(init_answer.has_value());
  CHECK((*init_answer)["id"] == 3);
  CHECK((*init_answer)["result"]["protocolVersion"] == "2024-11-05");
  auto again = legacy_post(*client, stream->post_target, initialize_request(4, "2024-11-05"));
  REQUIRE(again);
  auto again_answer = stream->http->next_message();
  REQUIRE(again_answer.has_value());
  CHECK((*again_answer)["id"] == 4);
  CHECK(error_code(*again_answer) == -32600);

  auto asks = legacy_post(*client, stream->post_target,
                          tool_call(5, "test_sampling", {{"prompt", "hi"}}));
  REQUIRE(asks);
  auto request = stream->http->next_message();
  REQUIRE(request.has_value());
  CHECK(request->value("method", "") == "sampling/createMessage");
}

