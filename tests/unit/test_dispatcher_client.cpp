// protocol::Dispatcher driven directly with a ClientState, continued from test_dispatcher.cpp:
// cancellation, server->client requests, resources, prompts, completion, ids, where requests run.
#include "dispatcher_fixture.hpp"

using namespace dispatcher_fixture;

// ---------------------------------------------------------------------------------------------
// Cancellation

TEST_CASE("notifications/cancelled stops a running tool and suppresses its response") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);

  const int started_before = g_wait_started.load();
  std::optional<json> response{json::object()};
  std::atomic<bool> returned{false};
  Clock::time_point returned_at{};
  std::thread worker([&] {
    response = d.handle_request(
        *s, jsonrpc::Request{42, "tools/call", json{{"name", "wait_cancel"}}}, new_stream());
    returned_at = Clock::now();
    returned = true;
  });
  REQUIRE(eventually([&] { return g_wait_started.load() > started_before; }));
  CHECK(s->inflight().size() == 1);

  // A cancel for another id (same digits, string type) is ignored.
  d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json{{"requestId", "42"}}});
  d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json{{"requestId", 43}}});
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(returned.load());

  const auto cancelled_at = Clock::now();
  d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled",
                                                   json{{"requestId", 42}, {"reason", "user"}}});
  worker.join();
  CHECK_FALSE(response.has_value());
  CHECK(returned_at - cancelled_at < 5s);
  CHECK(s->inflight().size() == 0);

  // Cancelling a finished request is a no-op.
  CHECK_NOTHROW(d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json{{"requestId", 42}}}));
  // The session still serves requests, with the same id even.
  CHECK(result_of(call_tool(d, *s, 42, "echo", json{{"text", "again"}}))["content"][0]["text"] == "again");
}

TEST_CASE("ending the session cancels a running tool") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const int started_before = g_wait_started.load();
  std::optional<json> response{json::object()};
  std::thread worker([&] {
    response = d.handle_request(*s, jsonrpc::Request{"w", "tools/call", json{{"name", "wait_cancel"}}}, nullptr);
  });
  REQUIRE(eventually([&] { return g_wait_started.load() > started_before; }));
  const auto t0 = Clock::now();
  s->end();
  worker.join();
  CHECK(Clock::now() - t0 < 5s);
  CHECK_FALSE(response.has_value());
}

// ---------------------------------------------------------------------------------------------
// Server -> client requests

TEST_CASE("server->client request round trip through the outbox and handle_response") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25", json{{"sampling", json::object()}});
  auto out = new_stream();

  json seen_request;
  bool delivered = false;
  std::thread client([&] {
    const auto message = out->wait_for("sampling/createMessage", 10s);
    if (!message) return;
    seen_request = *message;
    delivered = d.handle_response(
        *s, jsonrpc::Response{(*message)["id"], json{{"role", "assistant"}, {"model", "m-1"}}, std::nullopt});
  });
  const json result = result_of(call_tool(d, *s, 5, "ask", json{{"timeout_ms", 10000}}, out));
  client.join();

  CHECK(delivered);
  CHECK(seen_request["jsonrpc"] == "2.0");
  CHECK(jsonrpc::is_valid_id(seen_request["id"]));
  CHECK(seen_request["params"]["maxTokens"] == 5);
  CHECK_FALSE(result.contains("isError"));
  const std::string text = result["content"][0]["text"];
  CHECK(text.find("m-1") != std::string::npos);
  // A late duplicate answer finds nobody waiting.
  CHECK_FALSE(d.handle_response(*s, jsonrpc::Response{seen_request["id"], json::object(), std::nullopt}));
}

TEST_CASE("a client's error answer becomes an isError tool result") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25", json{{"sampling", json::object()}});
  auto out = new_stream();
  std::thread client([&] {
    const auto message = out->wait_for("sampling/createMessage", 10s);
    if (!message) return;
    (void)d.handle_response(*s, jsonrpc::Response{(*message)["id"], std::nullopt,
                                                  json{{"code", -1}, {"message", "user rejected"}}});
  });
  const json result = result_of(call_tool(d, *s, 5, "ask", json{{"timeout_ms", 10000}}, out));
  client.join();
  CHECK(result["isError"] == true);
  CHECK(result["content"][0]["text"].get<std::string>().find("user rejected") != std::string::npos);
}

TEST_CASE("a server->client request that gets no answer times out as an isError result") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25", json{{"sampling", json::object()}});
  auto out = new_stream();
  const auto t0 = Clock::now();
  const json result = result_of(call_tool(d, *s, 5, "ask", json{{"timeout_ms", 150}}, out));
  const auto took = Clock::now() - t0;
  CHECK(result["isError"] == true);
  CHECK(took >= 140ms);
  CHECK(took < 5s);

  // The request went out, and the client is told it was abandoned.
  const auto messages = drain(*out);
  const auto sent = with_method(messages, "sampling/createMessage");
  REQUIRE(sent.size() == 1);
  const auto cancels = with_method(messages, "notifications/cancelled");
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0]["params"]["requestId"] == sent[0]["id"]);
  // An answer arriving after the timeout is refused.
  CHECK_FALSE(d.handle_response(*s, jsonrpc::Response{sent[0]["id"], json::object(), std::nullopt}));
}

TEST_CASE("a server->client request needs the client capability") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25", json{{"roots", json::object()}});  // no sampling, no elicitation
  auto out = new_stream();
  const auto t0 = Clock::now();
  json result = result_of(call_tool(d, *s, 5, "ask", json{{"timeout_ms", 10000}}, out));
  CHECK(result["isError"] == true);
  CHECK(result["content"][0]["text"].get<std::string>().find("sampling") != std::string::npos);
  CHECK(Clock::now() - t0 < 5s);  // refused at once, not after the timeout
  result = result_of(call_tool(d, *s, 6, "ask", json{{"timeout_ms", 10000}, {"method", "elicitation/create"}}, out));
  CHECK(result["isError"] == true);
  CHECK(with_method(drain(*out), "sampling/createMessage").empty());
  CHECK(with_method(drain(*out), "elicitation/create").empty());
}

TEST_CASE("cancelling a tool that waits on the client returns no response") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25", json{{"sampling", json::object()}});
  auto out = new_stream();
  std::optional<json> response{json::object()};
  std::thread worker([&] {
    response = d.handle_request(
        *s, jsonrpc::Request{"ask-1", "tools/call", json{{"name", "ask"}, {"arguments", {{"timeout_ms", 20000}}}}},
        out);
  });
  REQUIRE(eventually([&] { return !with_method(drain(*out), "sampling/createMessage").empty(); }));
  const auto t0 = Clock::now();
  d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json{{"requestId", "ask-1"}}});
  worker.join();
  CHECK(Clock::now() - t0 < 5s);
  CHECK_FALSE(response.has_value());
}

TEST_CASE("handle_response for an id nobody waits on is false") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  CHECK_FALSE(d.handle_response(*s, jsonrpc::Response{12345, json::object(), std::nullopt}));
  CHECK_FALSE(d.handle_response(*s, jsonrpc::Response{"x", json::object(), std::nullopt}));
}

// ---------------------------------------------------------------------------------------------
// Resources, prompts, completion

TEST_CASE("resources: list, read, templates, unknown -> -32002") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json list = result_of(request(d, *s, 1, "resources/list"));
  REQUIRE(list["resources"].size() == 1);
  CHECK(list["resources"][0]["uri"] == "mem://readme");
  CHECK(list["resources"][0]["mimeType"] == "text/plain");
  CHECK(result_of(request(d, *s, 2, "resources/templates/list"))["resourceTemplates"][0]["uriTemplate"] ==
        "mem://items/{id}");

  CHECK(result_of(request(d, *s, 3, "resources/read", json{{"uri", "mem://readme"}}))["contents"][0]["text"] ==
        "hello");
  CHECK(result_of(request(d, *s, 4, "resources/read", json{{"uri", "mem://items/42"}}))["contents"][0]["text"] ==
        "item 42");

  const json missing = request(d, *s, 5, "resources/read", json{{"uri", "mem://nope"}});
  CHECK(error_code(missing) == code::resource_not_found);
  CHECK(missing["error"]["data"]["uri"] == "mem://nope");
  CHECK(error_code(request(d, *s, 6, "resources/read", json{{"uri", "mem://items/"}})) == code::resource_not_found);
  CHECK(error_code(request(d, *s, 7, "resources/read", json::object())) == code::invalid_params);

  CHECK(result_of(request(d, *s, 8, "resources/subscribe", json{{"uri", "mem://readme"}})) == json::object());
  CHECK(error_code(request(d, *s, 9, "resources/subscribe", json{{"uri", "mem://nope"}})) ==
        code::resource_not_found);
  CHECK(result_of(request(d, *s, 10, "resources/unsubscribe", json{{"uri", "mem://readme"}})) == json::object());
}

TEST_CASE("prompts: list, get, missing required argument -> -32602") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json list = result_of(request(d, *s, 1, "prompts/list"));
  REQUIRE(list["prompts"].size() == 1);
  CHECK(list["prompts"][0]["name"] == "greet");
  CHECK(list["prompts"][0]["arguments"][0] == json{{"name", "name"}, {"required", true}, {"description", "who"}});

  const json got = result_of(request(d, *s, 2, "prompts/get", json{{"name", "greet"}, {"arguments", {{"name", "Ada"}}}}));
  CHECK(got["messages"][0]["content"]["text"] == "Hello Ada");
  const json styled = result_of(request(d, *s, 3, "prompts/get",
                                        json{{"name", "greet"}, {"arguments", {{"name", "Ada"}, {"style", "warm"}}}}));
  CHECK(styled["messages"][0]["content"]["text"] == "Hello Ada (warm)");

  CHECK(error_code(request(d, *s, 4, "prompts/get", json{{"name", "greet"}})) == code::invalid_params);
  CHECK(error_code(request(d, *s, 5, "prompts/get", json{{"name", "greet"}, {"arguments", {{"style", "x"}}}})) ==
        code::invalid_params);
  CHECK(error_code(request(d, *s, 6, "prompts/get", json{{"name", "greet"}, {"arguments", {{"name", 5}}}})) ==
        code::invalid_params);
  CHECK(error_code(request(d, *s, 7, "prompts/get", json{{"name", "nope"}})) == code::invalid_params);
  CHECK(error_code(request(d, *s, 8, "prompts/get", json::object())) == code::invalid_params);
}

TEST_CASE("completion/complete returns matching values") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json result = result_of(request(
      d, *s, 1, "completion/complete",
      json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}}, {"argument", {{"name", "name"}, {"value", "Al"}}}}));
  CHECK(result["completion"]["values"] == json::array({"Alice", "Albert"}));
  CHECK(result["completion"]["total"] == 2);
  CHECK(result["completion"]["hasMore"] == false);
  CHECK(error_code(request(d, *s, 2, "completion/complete",
                           json{{"ref", {{"type", "ref/prompt"}, {"name", "nope"}}},
                                {"argument", {{"name", "name"}, {"value", ""}}}})) == code::invalid_params);
  CHECK(error_code(request(d, *s, 3, "completion/complete", json{{"ref", {{"type", "ref/other"}}},
                                                                 {"argument", {{"name", "x"}}}})) ==
        code::invalid_params);
  CHECK(error_code(request(d, *s, 4, "completion/complete", json::object())) == code::invalid_params);
}

TEST_CASE("an empty catalog: resources and prompts answer empty lists, completion stays -32601") {
  // MCP Inspector 0.15 calls resources/list and prompts/list on connect and gives the connection
  // up on -32601; Archon answered empty lists.
  const auto d = make_dispatcher();
  auto s = make_session(tools_only_context());
  initialize(d, *s);
  CHECK(result_of(request(d, *s, 1, "resources/list")) == json{{"resources", json::array()}});
  CHECK(result_of(request(d, *s, 2, "resources/templates/list")) ==
        json{{"resourceTemplates", json::array()}});
  CHECK(result_of(request(d, *s, 3, "prompts/list")) == json{{"prompts", json::array()}});
  CHECK(error_code(request(d, *s, 4, "resources/read", json{{"uri", "mem://readme"}})) ==
        code::resource_not_found);
  CHECK(error_code(request(d, *s, 5, "resources/subscribe", json{{"uri", "mem://readme"}})) ==
        code::resource_not_found);
  CHECK(error_code(request(d, *s, 6, "prompts/get", json{{"name", "greet"}})) == code::invalid_params);
  // No completer: completion/complete is a capability not declared, so still -32601.
  CHECK(error_code(request(d, *s, 7, "completion/complete",
                           json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                                {"argument", {{"name", "name"}, {"value", ""}}}})) ==
        code::method_not_found);
  CHECK(error_code(request(d, *s, 8, "resources/nope")) == code::method_not_found);
  CHECK(error_code(request(d, *s, 9, "prompts/nope")) == code::method_not_found);
}

TEST_CASE("response ids keep their JSON type") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const auto r1 = request(d, *s, "17", "ping");
  CHECK(r1["id"].is_string());
  const auto r2 = request(d, *s, 17, "ping");
  CHECK(r2["id"].is_number_integer());
}

TEST_CASE("runs_inline: cheap methods and never-blocking tools inline, other calls and reads on an executor") {
  auto s = make_session();
  auto inline_ = [&](std::string method, json params = nullptr, bool caller_only_waits = false) {
    jsonrpc::Request r;
    r.id = 1;
    r.method = std::move(method);
    r.params = std::move(params);
    return Dispatcher::runs_inline(*s, r, caller_only_waits);
  };
  CHECK(inline_("ping"));
  CHECK(inline_("initialize"));
  CHECK(inline_("tools/list"));
  CHECK(inline_("tools/call", json{{"name", "add"}}));          // declared instant
  CHECK_FALSE(inline_("tools/call", json{{"name", "echo"}}));   // may block
  CHECK(inline_("tools/call", json{{"name", "no_such_tool"}}));  // answered with an error at once
  CHECK(inline_("tools/call", json{{"name", 5}}));
  CHECK_FALSE(inline_("prompts/get"));
  CHECK_FALSE(inline_("resources/read"));
  CHECK_FALSE(inline_("completion/complete"));

  // A silent tool runs where its caller would only wait; one that talks to the client while it
  // runs (progress, requests) never does, or nothing would carry what it sends.
  CHECK_FALSE(inline_("tools/call", json{{"name", "quiet_wait"}}));
  CHECK(inline_("tools/call", json{{"name", "quiet_wait"}}, true));
  CHECK_FALSE(inline_("tools/call", json{{"name", "echo"}}, true));
}

TEST_CASE("concurrent tool calls on one session are independent") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  constexpr int threads = 8;
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string text = std::to_string(t) + ":" + std::to_string(i);
        auto r = d.handle_request(
            *s, jsonrpc::Request{t * 1000 + i, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", text}}}}},
            nullptr);
        if (!r || (*r)["id"] != t * 1000 + i || (*r)["result"]["content"][0]["text"] != text) wrong.fetch_add(1);
      }
    });
  for (auto& t : pool) t.join();
  CHECK(wrong.load() == 0);
  CHECK(s->inflight().size() == 0);
}
