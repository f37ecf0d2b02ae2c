// Streamable HTTP (MCP 2025-03-26 .. 2025-11-25) against the real server over real HTTP.
#include "test_server.hpp"

using namespace itest;

namespace {

httplib::Result post_plain(httplib::Client& client, const std::string& session, const json& body,
                           const std::string& version = latest,
                           const std::string& accept = accept_both,
                           const std::string& content_type = "application/json") {
  return client.Post("/mcp", to_httplib(mcp_headers(session, version, accept)), body.dump(),
                     content_type.c_str());
}

}  // namespace

TEST_CASE("initialize on 2025-11-25 answers an SSE stream with a priming event") {
  TestServer server;
  RawHttp http(server.port());
  REQUIRE(http.connected());
  Headers headers = mcp_headers("", "");
  // A compressing client must still get an uncompressed, streaming SSE response.
  headers.emplace_back("Accept-Encoding", "gzip, deflate, br");
  REQUIRE(http.send_request("POST", "/mcp", headers, initialize_request(1, "2025-11-25").dump()));
  REQUIRE(http.read_head());

  CHECK(http.status() == 200);
  CHECK(http.header("Content-Type") == "text/event-stream");
  CHECK(http.header_count("Content-Type") == 1);
  CHECK(http.header("Content-Encoding").empty());
  CHECK(http.header("Cache-Control") == "no-cache");
  CHECK(http.header("X-Accel-Buffering") == "no");
  const std::string session = http.header("Mcp-Session-Id");
  CHECK(url_safe_session_id(session));
  CHECK(session.size() >= 22);

  auto priming = http.next_event();
  REQUIRE(priming.has_value());
  CHECK(priming->priming());
  CHECK(!priming->id.empty());
  REQUIRE(priming->retry.has_value());
  CHECK(*priming->retry == 3000);
  CHECK(priming->event.empty());
  CHECK(priming->data.empty());

  auto event = http.next_event();
  REQUIRE(event.has_value());
  CHECK(event->event == "message");
  CHECK(event->has_id);
  const json response = event->payload();
  CHECK(response["jsonrpc"] == "2.0");
  CHECK(response["id"] == 1);
  REQUIRE(response.contains("result"));
  CHECK(response["result"]["protocolVersion"] == "2025-11-25");
  CHECK(response["result"]["serverInfo"].contains("name"));
  CHECK(response["result"]["capabilities"].contains("tools"));

  // The POST stream ends after its response.
  CHECK(!http.next_event().has_value());
  CHECK(http.body_ended());
  CHECK(!http.timed_out());
}

TEST_CASE("initialize on 2025-06-18 sends no priming event") {
  TestServer server;
  const auto init = exchange(server.port(), "POST", "/mcp", mcp_headers("", ""),
                             initialize_request(1, "2025-06-18").dump());
  REQUIRE(init.ok);
  CHECK(init.status == 200);
  CHECK(init.content_type == "text/event-stream");
  CHECK(url_safe_session_id(init.header("Mcp-Session-Id")));
  REQUIRE(!init.events.empty());
  CHECK(init.events.size() == 1);
  for (const auto& event : init.events) CHECK(!event.priming());
  CHECK(init.events.front().event == "message");
  const auto response = init.response(1);
  REQUIRE(response.has_value());
  CHECK((*response)["result"]["protocolVersion"] == "2025-06-18");
  CHECK(init.ended);
}

TEST_CASE("initialized, tools/list, tools/call and an unknown method over SSE") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);  // asserts notifications/initialized -> 202

  const auto list = mcp_post(port, session, rpc_request(2, "tools/list"));
  REQUIRE(list.ok);
  CHECK(list.status == 200);
  CHECK(list.content_type == "text/event-stream");
  REQUIRE(!list.events.empty());
  CHECK(list.events.front().priming());
  const auto tools = list.response(2);
  REQUIRE(tools.has_value());
  REQUIRE((*tools)["result"]["tools"].is_array());
  std::vector<std::string> names;
  for (const auto& tool : (*tools)["result"]["tools"]) names.push_back(tool.value("name", ""));
  CHECK(std::find(names.begin(), names.end(), "session_info") != names.end());
  CHECK(std::find(names.begin(), names.end(), "test_simple_text") != names.end());
  CHECK(list.ended);

  const auto call = mcp_post(port, session, tool_call(3, "test_simple_text"));
  REQUIRE(call.ok);
  CHECK(call.status == 200);
  const auto result = call.response(3);
  REQUIRE(result.has_value());
  CHECK(result_text(*result) == "This is a simple text response for testing.");
  CHECK((*result)["result"].value("isError", false) == false);

  const auto info = mcp_post(port, session, tool_call(4, "session_info"));
  const auto info_response = info.response(4);
  REQUIRE(info_response.has_value());
  const json payload = json::parse(result_text(*info_response), nullptr, false);
  CHECK(payload["session_management"]["current_session"] == session);
  CHECK(payload["session_management"]["protocol_version"] == "2025-11-25");

  const auto unknown = mcp_post(port, session, rpc_request(5, "no/such/method"));
  REQUIRE(unknown.ok);
  CHECK(unknown.status == 200);
  CHECK(unknown.content_type == "text/event-stream");
  const auto error = unknown.response(5);
  REQUIRE(error.has_value());
  CHECK(error_code(*error) == -32601);
  CHECK(error_message(*error).find("Method not found") != std::string::npos);

  const auto unknown_tool = mcp_post(port, session, tool_call(6, "no_such_tool"));
  const auto tool_error = unknown_tool.response(6);
  REQUIRE(tool_error.has_value());
  CHECK(error_code(*tool_error) == -32602);
}

TEST_CASE("--json-response answers application/json") {
  auto config = test_config();
  config.json_response = true;
  TestServer server(config);
  auto client = server.client();

  auto init = post_plain(*client, "", initialize_request(1, latest), "");
  REQUIRE(init);
  CHECK(init->status == 200);
  CHECK(init->get_header_value("Content-Type") == "application/json");
  const std::string session = init->get_header_value("Mcp-Session-Id");
  CHECK(url_safe_session_id(session));
  const json init_body = body_of(init);
  CHECK(init_body["id"] == 1);
  CHECK(init_body["result"]["protocolVersion"] == latest);

  auto ready = post_plain(*client, session, rpc_notification("notifications/initialized"));
  REQUIRE(ready);
  CHECK(ready->status == 202);
  CHECK(ready->body.empty());

  auto list = post_plain(*client, session, rpc_request(2, "tools/list"));
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(list->get_header_value("Content-Type") == "application/json");
  const json list_body = body_of(list);
  CHECK(list_body["id"] == 2);
  CHECK(list_body["result"]["tools"].is_array());

  auto call = post_plain(*client, session, tool_call(3, "test_simple_text"));
  REQUIRE(call);
  CHECK(call->status == 200);
  CHECK(result_text(body_of(call)) == "This is a simple text response for testing.");

  auto unknown = post_plain(*client, session, rpc_request(4, "no/such/method"));
  REQUIRE(unknown);
  CHECK(unknown->status == 200);
  CHECK(error_code(body_of(unknown)) == -32601);

  // A client that accepts only SSE still gets SSE.
  const auto sse_only =
      exchange(server.port(), "POST", "/mcp", mcp_headers(session, latest, "text/event-stream"),
               rpc_request(5, "ping").dump());
  CHECK(sse_only.status == 200);
  CHECK(sse_only.content_type == "text/event-stream");
  CHECK(sse_only.response(5).has_value());
}

TEST_CASE("session errors: missing 400, unknown 404, DELETE then 404") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port());

  auto missing = post_plain(*client, "", rpc_request(2, "tools/list"));
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_code(body_of(missing)) == -32000);
  CHECK(error_message(body_of(missing)).find("Mcp-Session-Id") != std::string::npos);
  CHECK(body_of(missing)["id"] == 2);  // the request's id, echoed: it could be read

  auto unknown = post_plain(*client, "AAAAAAAAAAAAAAAAAAAAAA", rpc_request(2, "tools/list"));
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(error_code(body_of(unknown)) == -32001);
  CHECK(body_of(unknown)["id"] == 2);

  auto get_unknown = client->Get(
      "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", "AAAAAAAAAAAAAAAAAAAAAA"}});
  REQUIRE(get_unknown);
  CHECK(get_unknown->status == 404);
  CHECK(error_code(body_of(get_unknown)) == -32001);

  auto removed = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", session}});
  REQUIRE(removed);
  CHECK(removed->status == 200);

  auto after = post_plain(*client, session, rpc_request(3, "tools/list"));
  REQUIRE(after);
  CHECK(after->status == 404);
  CHECK(error_code(body_of(after)) == -32001);

  auto again = client->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", session}});
  REQUIRE(again);
  CHECK(again->status == 404);
  CHECK(error_code(body_of(again)) == -32001);

  auto delete_missing = client->Delete("/mcp", httplib::Headers{});
  REQUIRE(delete_missing);
  CHECK(delete_missing->status == 400);

  CHECK(server.app().sessions().counts().total() == 0);
}

TEST_CASE("GET opens the standalone stream; a second GET gets 409") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port());

  auto stream = open_get_stream(server.port(), session);
  REQUIRE(stream->status() == 200);
  CHECK(stream->header("Content-Type") == "text/event-stream");
  CHECK(stream->header("Cache-Control") == "no-cache");
  CHECK(stream->header("X-Accel-Buffering") == "no");
  auto priming = stream->next_event();
  REQUIRE(priming.has_value());
  CHECK(priming->priming());

  auto second = client->Get("/mcp", {{"Accept", "text/event-stream"},
                                     {"Mcp-Session-Id", session},
                                     {"MCP-Protocol-Version", latest}});
  REQUIRE(second);
  CHECK(second->status == 409);
  CHECK(error_code(body_of(second)) == -32000);

  // Once the first stream's client leaves, a new GET stream may open.
  stream->close();
  std::unique_ptr<RawHttp> reopened;
  const bool reopened_ok = eventually(
      [&] {
        reopened = open_get_stream(server.port(), session);
        return reopened->status() == 200;
      },
      5000ms);
  CHECK(reopened_ok);
}

TEST_CASE("Accept and Content-Type checks: 406 and 415") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port());

  auto post_html = post_plain(*client, session, rpc_request(2, "tools/list"), latest, "text/html");
  REQUIRE(post_html);
  CHECK(post_html->status == 406);
  CHECK(error_code(body_of(post_html)) == -32000);

  auto init_html = post_plain(*client, "", initialize_request(1, latest), "", "text/html");
  REQUIRE(init_html);
  CHECK(init_html->status == 406);

  auto get_json = client->Get("/mcp", {{"Accept", "application/json"},
                                       {"Mcp-Session-Id", session},
                                       {"MCP-Protocol-Version", latest}});
  REQUIRE(get_json);
  CHECK(get_json->status == 406);
  CHECK(error_code(body_of(get_json)) == -32000);

  auto text_plain =
      post_plain(*client, session, rpc_request(2, "tools/list"), latest, accept_both, "text/plain");
  REQUIRE(text_plain);
  CHECK(text_plain->status == 415);
  CHECK(error_code(body_of(text_plain)) == -32000);
}

TEST_CASE("MCP-Protocol-Version header") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port());

  auto bad = post_plain(*client, session, rpc_request(2, "tools/list"), "1999-01-01");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(error_code(body_of(bad)) == -32000);
  CHECK(error_message(body_of(bad)).find("Unsupported protocol version") != std::string::npos);

  auto bad_get = client->Get("/mcp", {{"Accept", "text/event-stream"},
                                      {"Mcp-Session-Id", session},
                                      {"MCP-Protocol-Version", "1999-01-01"}});
  REQUIRE(bad_get);
  CHECK(bad_get->status == 400);

  const auto missing = mcp_post(server.port(), session, rpc_request(3, "tools/list"), "");
  CHECK(missing.status == 200);
  CHECK(missing.response(3).has_value());

  // The conformance suite sends 2025-03-26 on sessions negotiated at 2025-11-25.
  const auto older = mcp_post(server.port(), session, rpc_request(4, "tools/list"), "2025-03-26");
  CHECK(older.status == 200);
  const auto older_response = older.response(4);
  REQUIRE(older_response.has_value());
  CHECK(older_response->contains("result"));
}

TEST_CASE("malformed bodies: parse error, invalid request, misplaced initialize") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port());

  auto parse = client->Post("/mcp", to_httplib(mcp_headers(session, latest)), "{not json",
                            "application/json");
  REQUIRE(parse);
  CHECK(parse->status == 400);
  CHECK(error_code(body_of(parse)) == -32700);
  CHECK(body_of(parse)["id"].is_null());

  auto invalid = post_plain(*client, session, json{{"jsonrpc", "2.0"}, {"id", 7}, {"method", 42}});
  REQUIRE(invalid);
  CHECK(invalid->status == 400);
  CHECK(error_code(body_of(invalid)) == -32600);

  auto wrong_version = post_plain(*client, session, json{{"jsonrpc", "1.0"}, {"id", 8}, {"method", "ping"}});
  REQUIRE(wrong_version);
  CHECK(wrong_version->status == 400);
  CHECK(error_code(body_of(wrong_version)) == -32600);

  auto empty_batch = post_plain(*client, session, json::array());
  REQUIRE(empty_batch);
  CHECK(empty_batch->status == 400);
  CHECK(error_code(body_of(empty_batch)) == -32600);

  auto in_batch = post_plain(*client, "",
                             json::array({initialize_request(1, "2025-03-26"), rpc_request(2, "ping")}),
                             "");
  REQUIRE(in_batch);
  CHECK(in_batch->status == 400);
  CHECK(error_code(body_of(in_batch)) == -32600);
  CHECK(in_batch->get_header_value("Mcp-Session-Id").empty());

  auto with_session = post_plain(*client, session, initialize_request(9, latest));
  REQUIRE(with_session);
  CHECK(with_session->status == 400);
  CHECK(error_code(body_of(with_session)) == -32600);
  CHECK(body_of(with_session)["id"] == 9);
  // Neither created a session.
  CHECK(server.app().sessions().counts().total() == 1);
}

TEST_CASE("JSON-RPC batches: answered on 2025-03-26, rejected on 2025-06-18") {
  TestServer server;
  auto client = server.client();

  const std::string old_session = open_session(server.port(), "2025-03-26");
  const json batch = json::array({rpc_request(10, "tools/list"), rpc_request(11, "ping"),
                                  rpc_notification("notifications/progress",
                                                   {{"progressToken", "x"}, {"progress", 1}}),
                                  tool_call(12, "test_simple_text"),
                                  json{{"jsonrpc", "2.0"}, {"id", 13}, {"method", 5}}});
  const auto answered = mcp_post(server.port(), old_session, batch, "2025-03-26");
  REQUIRE(answered.ok);
  CHECK(answered.status == 200);
  CHECK(answered.content_type == "text/event-stream");
  CHECK(answered.ended);
  CHECK(answered.messages().size() == 4);
  REQUIRE(answered.response(10).has_value());
  CHECK(answered.response(10)->contains("result"));
  REQUIRE(answered.response(11).has_value());
  CHECK((*answered.response(11))["result"] == json::object());
  REQUIRE(answered.response(12).has_value());
  CHECK(result_text(*answered.response(12)) == "This is a simple text response for testing.");
  REQUIRE(answered.response(13).has_value());
  CHECK(error_code(*answered.response(13)) == -32600);

  const std::string new_session = open_session(server.port(), "2025-06-18");
  auto rejected = post_plain(*client, new_session,
                             json::array({rpc_request(20, "tools/list"), rpc_request(21, "ping")}),
                             "2025-06-18");
  REQUIRE(rejected);
  CHECK(rejected->status == 400);
  CHECK(error_code(body_of(rejected)) == -32600);
}

TEST_CASE("resumability: test_reconnection drops the POST stream, GET Last-Event-ID resumes") {
  TestServer server;
  const std::string session = open_session(server.port());

  RawHttp post(server.port());
  REQUIRE(post.send_request("POST", "/mcp", mcp_headers(session, latest),
                            tool_call(7, "test_reconnection").dump()));
  REQUIRE(post.read_head());
  CHECK(post.status() == 200);
  CHECK(post.header("Content-Type") == "text/event-stream");
  auto priming = post.next_event();
  REQUIRE(priming.has_value());
  REQUIRE(priming->priming());
  CHECK(priming->retry.has_value());
  const std::string last_event_id = priming->id;

  // The server ends the POST stream without the result: either by closing the connection or
  // (since SSE polling, SEP-1699) by ending the chunked response cleanly; never by hanging.
  const auto rest = post.read_all_events(5000ms);
  CHECK(!post.timed_out());
  CHECK((post.peer_closed() || post.body_ended()));
  for (const auto& event : rest) CHECK(!event.message());

  auto resumed = open_get_stream(server.port(), session, latest, {{"Last-Event-ID", last_event_id}});
  REQUIRE(resumed->status() == 200);
  CHECK(resumed->header("Content-Type") == "text/event-stream");
  auto result = resumed->next_message(5000ms);
  REQUIRE(result.has_value());
  CHECK((*result)["id"] == 7);
  CHECK(result_text(*result) == "Reconnection test completed");
  // The resumed POST stream ends once its response is delivered.
  CHECK(resumed->read_all_events(5000ms).size() == 0);
  CHECK(resumed->body_ended());

  auto client = server.client();
  auto malformed = client->Get("/mcp", {{"Accept", "text/event-stream"},
                                        {"Mcp-Session-Id", session},
                                        {"MCP-Protocol-Version", latest},
                                        {"Last-Event-ID", "not an event id"}});
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  CHECK(error_code(body_of(malformed)) == -32000);
  CHECK(error_message(body_of(malformed)).find("Last-Event-ID") != std::string::npos);

  auto unknown_stream = client->Get("/mcp", {{"Accept", "text/event-stream"},
                                             {"Mcp-Session-Id", session},
                                             {"MCP-Protocol-Version", latest},
                                             {"Last-Event-ID", "zz99.0"}});
  REQUIRE(unknown_stream);
  CHECK(unknown_stream->status == 400);
}

TEST_CASE("heartbeats: an idle GET stream receives ': ping' comments") {
  auto config = test_config();
  config.heartbeat = 200ms;
  TestServer server(config);
  const std::string session = open_session(server.port());

  auto stream = open_get_stream(server.port(), session);
  REQUIRE(stream->status() == 200);
  int pings = 0;
  const auto start = Clock::now();
  while (pings < 3 && ms_since(start) < 5000) {
    auto event = stream->next_event(2000ms);
    if (!event) break;
    if (event->comment_only() && event->comments.front() == "ping") ++pings;
  }
  CHECK(pings == 3);
  CHECK(ms_since(start) < 3000 * time_scale);
}

TEST_CASE("session TTL: an idle session expires, one with an open GET stream does not") {
  auto config = test_config();
  config.session_ttl = std::chrono::seconds(1);
  TestServer server(config);
  auto client = server.client();
  const std::string idle = open_session(server.port());
  const std::string streaming = open_session(server.port());
  auto stream = open_get_stream(server.port(), streaming);
  REQUIRE(stream->status() == 200);

  std::this_thread::sleep_for(2500ms);

  auto expired = post_plain(*client, idle, rpc_request(2, "ping"));
  REQUIRE(expired);
  CHECK(expired->status == 404);
  CHECK(error_code(body_of(expired)) == -32001);

  const auto alive = mcp_post(server.port(), streaming, rpc_request(3, "ping"));
  CHECK(alive.status == 200);
  CHECK(alive.response(3).has_value());
  CHECK(server.app().sessions().counts().streamable_http == 1);
  CHECK(server.app().sessions().expirations() == 1);
}

TEST_CASE("elicitation round trip, and cancellation of a waiting tool") {
  TestServer server;
  auto client = server.client();
  const std::string session = open_session(server.port(), latest, {{"elicitation", json::object()}});

  SUBCASE("the client answers: 202, then the tool result on the POST stream") {
    RawHttp post(server.port());
    REQUIRE(post.send_request("POST", "/mcp", mcp_headers(session, latest),
                              tool_call(20, "test_elicitation", {{"message", "Who are you?"}}).dump()));
    REQUIRE(post.read_head());
    CHECK(post.status() == 200);
    auto request = post.next_message();
    REQUIRE(request.has_value());
    CHECK((*request)["method"] == "elicitation/create");
    CHECK((*request)["params"]["message"] == "Who are you?");
    REQUIRE(request->contains("id"));

    auto answer = post_plain(*client, session,
                             json{{"jsonrpc", "2.0"},
                                  {"id", (*request)["id"]},
                                  {"result",
                                   {{"action", "accept"},
                                    {"content", {{"username", "ada"}, {"email", "ada@example.com"}}}}}});
    REQUIRE(answer);
    CHECK(answer->status == 202);

    auto result = post.next_message();
    REQUIRE(result.has_value());
    CHECK((*result)["id"] == 20);
    const std::string text = result_text(*result);
    CHECK(text.find("action=accept") != std::string::npos);
    CHECK(text.find("ada@example.com") != std::string::npos);
    CHECK(!post.next_event().has_value());
    CHECK(post.body_ended());
  }

  SUBCASE("notifications/cancelled: the stream ends without a response") {
    RawHttp post(server.port());
    REQUIRE(post.send_request("POST", "/mcp", mcp_headers(session, latest),
                              tool_call(21, "test_elicitation", {{"message", "Cancel me"}}).dump()));
    REQUIRE(post.read_head());
    CHECK(post.status() == 200);
    auto request = post.next_message();
    REQUIRE(request.has_value());
    CHECK((*request)["method"] == "elicitation/create");

    auto cancel = post_plain(*client, session,
                             rpc_notification("notifications/cancelled",
                                              {{"requestId", 21}, {"reason", "user gave up"}}));
    REQUIRE(cancel);
    CHECK(cancel->status == 202);

    const auto rest = post.read_all_events(5000ms);
    CHECK(!post.timed_out());
    CHECK(post.body_ended());
    for (const auto& event : rest) {
      if (!event.message()) continue;
      const json message = event.payload();
      CHECK_MESSAGE(!(message.contains("id") && message["id"] == 21 && !message.contains("method")),
                    "a cancelled request got a response: " << event.data);
    }
  }
}

TEST_CASE("sampling without the client capability is an isError result") {
  TestServer server;
  const std::string session = open_session(server.port());  // no capabilities
  const auto call = mcp_post(server.port(), session, tool_call(30, "test_sampling", {{"prompt", "hi"}}));
  REQUIRE(call.ok);
  CHECK(call.status == 200);
  for (const auto& message : call.messages()) CHECK(message.value("method", "") != "sampling/createMessage");
  const auto response = call.response(30);
  REQUIRE(response.has_value());
  REQUIRE(response->contains("result"));
  CHECK((*response)["result"].value("isError", false) == true);
  CHECK(result_text(*response).find("sampling") != std::string::npos);
}

TEST_CASE("DNS-rebinding protection: a foreign Host or Origin is refused with 403") {
  TestServer server;
  const std::string port = std::to_string(server.port());
  Headers evil = mcp_headers("", "");
  evil.emplace_back("Origin", "http://evil.example.com");
  RawHttp http(server.port());
  // RawHttp writes its own Host header; send a raw request with a foreign one instead.
  const std::string body = initialize_request(1, latest).dump();
  std::string request = "POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\n";
  for (const auto& [name, value] : evil) request += name + ": " + value + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(http.send_all(request));
  REQUIRE(http.read_head());
  CHECK(http.status() == 403);
  CHECK(error_code(json::parse(http.read_body(), nullptr, false)) == -32000);
  CHECK(server.app().sessions().counts().total() == 0);

  Headers good = mcp_headers("", "");
  good.emplace_back("Origin", "http://127.0.0.1:" + port);
  const auto allowed = exchange(server.port(), "POST", "/mcp", good, body);
  CHECK(allowed.status == 200);
  CHECK(allowed.response(1).has_value());

  // /health stays open to probes whatever the Host.
  RawHttp probe(server.port());
  REQUIRE(probe.send_all("GET /health HTTP/1.1\r\nHost: evil.example.com\r\n\r\n"));
  REQUIRE(probe.read_head());
  CHECK(probe.status() == 200);
}

TEST_CASE("answers complete at once go out as one SSE body; a tool that reports progress streams") {
  TestServer server;
  const int port = server.port();
  const std::string session = open_session(port);

  // session_info never blocks: it runs on the connection's thread and its answer (priming event
  // and response) is one body with a Content-Length.
  const auto quick = mcp_post(port, session, tool_call(2, "session_info"));
  REQUIRE(quick.ok);
  CHECK(quick.status == 200);
  CHECK(quick.content_type == "text/event-stream");
  CHECK_FALSE(quick.header("Content-Length").empty());
  CHECK(quick.header("Transfer-Encoding").empty());
  REQUIRE(!quick.events.empty());
  CHECK(quick.events.front().priming());
  CHECK(quick.response(2).has_value());
  CHECK(quick.ended);

  // Progress arrives while the tool runs: chunked, each event before the response.
  RawHttp http(port);
  json call = tool_call(3, "test_tool_with_progress");
  call["params"]["_meta"] = {{"progressToken", "p"}};
  REQUIRE(http.send_request("POST", "/mcp", mcp_headers(session, latest), call.dump()));
  REQUIRE(http.read_head());
  CHECK(http.status() == 200);
  CHECK(lower(http.header("Transfer-Encoding")) == "chunked");
  std::vector<std::string> methods;
  for (const auto& event : http.read_all_events()) {
    if (!event.message()) continue;
    const json message = event.payload();
    methods.push_back(message.value("method", message.contains("result") ? "result" : "?"));
  }
  REQUIRE(methods.size() == 4);
  CHECK(methods[0] == "notifications/progress");
  CHECK(methods[2] == "notifications/progress");
  CHECK(methods[3] == "result");
}

TEST_CASE("Expect: 100-continue: the interim answer is sent before the body is awaited") {
  TestServer server;
  const int port = server.port();
  const std::string body = initialize_request(1, latest).dump();
  RawHttp http(port);
  Headers headers = mcp_headers("", "");
  headers.emplace_back("Expect", "100-continue");
  headers.emplace_back("Content-Length", std::to_string(body.size()));
  REQUIRE(http.send_request("POST", "/mcp", headers));  // the head only
  CHECK(http.read_interim_head(2000ms) == 100);
  REQUIRE(http.send_all(body));
  REQUIRE(http.read_head());
  CHECK(http.status() == 200);
  CHECK_FALSE(http.header("Mcp-Session-Id").empty());
}
