// protocol::Dispatcher driven directly with a ClientState (protocol/dispatcher.hpp): the
// messages a request sends are recorded, not framed. Lifecycle, tools, progress and logging
// here; cancellation, server->client requests, resources, prompts and ids in
// test_dispatcher_client.cpp.
#include "dispatcher_fixture.hpp"

using namespace dispatcher_fixture;

// ---------------------------------------------------------------------------------------------
// Lifecycle

TEST_CASE("initialize echoes every supported protocol version") {
  const auto d = make_dispatcher();
  for (auto version : protocol::supported_versions) {
    CAPTURE(version);
    auto s = make_session();
    const json result = initialize(d, *s, std::string(version));
    CHECK(result["protocolVersion"] == std::string(version));
    CHECK(s->protocol_version() == version);
    CHECK(s->initialized());
    CHECK(result["serverInfo"]["name"] == "mcpgate-test");
    CHECK(result["serverInfo"]["version"] == "9.9.9");
    CHECK(result["serverInfo"]["title"] == "Test Server");
    CHECK(result["instructions"] == "be nice");
    // serverInfo.description exists only from 2025-11-25 on.
    CHECK(result["serverInfo"].contains("description") == (version == "2025-11-25"));
  }
}

TEST_CASE("initialize answers an unknown version with the latest one") {
  const auto d = make_dispatcher();
  for (std::string version : {"2099-01-01", "1.0", "", "2025-11-24"}) {
    CAPTURE(version);
    auto s = make_session();
    const json result = initialize(d, *s, version);
    CHECK(result["protocolVersion"] == "2025-11-25");
    CHECK(s->protocol_version() == "2025-11-25");
  }
}

TEST_CASE("initialize without a string protocolVersion is -32602 and leaves the session uninitialized") {
  const auto d = make_dispatcher();
  auto s = make_session();
  CHECK(error_code(request(d, *s, 1, "initialize", json{{"capabilities", json::object()}})) == code::invalid_params);
  CHECK(error_code(request(d, *s, 2, "initialize", json{{"protocolVersion", 20250618}})) == code::invalid_params);
  CHECK(error_code(request(d, *s, 3, "initialize", nullptr)) == code::invalid_params);
  CHECK(error_code(request(d, *s, 4, "initialize", json::array({"2025-11-25"}))) == code::invalid_params);
  CHECK_FALSE(s->initialized());
  // A correct initialize still works afterwards.
  CHECK(initialize(d, *s)["protocolVersion"] == "2025-11-25");
}

TEST_CASE("a second initialize is -32600 and does not change the negotiated version") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-06-18");
  CHECK(error_code(request(d, *s, 9, "initialize", json{{"protocolVersion", "2025-11-25"}})) ==
        code::invalid_request);
  CHECK(s->protocol_version() == "2025-06-18");
}

TEST_CASE("requests before initialize are -32600, except ping") {
  const auto d = make_dispatcher();
  auto s = make_session();
  CHECK(error_code(request(d, *s, 1, "tools/list")) == code::invalid_request);
  CHECK(error_code(call_tool(d, *s, 2, "echo", json{{"text", "x"}})) == code::invalid_request);
  CHECK(error_code(request(d, *s, 3, "resources/list")) == code::invalid_request);
  CHECK(error_code(request(d, *s, 4, "logging/setLevel", json{{"level", "error"}})) == code::invalid_request);
  CHECK(result_of(request(d, *s, "p", "ping")) == json::object());
  // After initialize, ping still works.
  initialize(d, *s);
  CHECK(result_of(request(d, *s, "p2", "ping")) == json::object());
}

TEST_CASE("an implicitly initialized client: no capabilities, once; an initialize replaces it once") {
  const auto d = make_dispatcher();
  auto s = make_session();
  CHECK(s->initialize_implicitly("2024-11-05"));
  CHECK_FALSE(s->initialize_implicitly("2025-11-25"));  // once
  CHECK(s->initialized());
  CHECK(s->implicitly_initialized());
  CHECK(s->protocol_version() == "2024-11-05");
  CHECK(s->client_capabilities() == json::object());
  CHECK_FALSE(s->client_supports("sampling"));
  CHECK(result_of(request(d, *s, 1, "tools/list"))["tools"].is_array());
  // An initialize afterwards is served, and what it negotiates replaces what was assumed...
  CHECK(initialize(d, *s, "2025-06-18")["protocolVersion"] == "2025-06-18");
  CHECK_FALSE(s->implicitly_initialized());
  CHECK(s->protocol_version() == "2025-06-18");
  // ...but only once, as on any session.
  CHECK(error_code(request(d, *s, 9, "initialize", json{{"protocolVersion", "2025-11-25"}})) ==
        code::invalid_request);
  CHECK_FALSE(s->initialize_implicitly("2024-11-05"));
}

TEST_CASE("server capabilities follow what the context offers") {
  const auto d = make_dispatcher();
  auto full = make_session();
  const json caps = initialize(d, *full)["capabilities"];
  CHECK(caps.contains("tools"));
  CHECK(caps.contains("logging"));
  CHECK(caps.contains("resources"));
  CHECK(caps.contains("prompts"));
  CHECK(caps.contains("completions"));

  auto bare = make_session(tools_only_context());
  const json bare_caps = initialize(d, *bare)["capabilities"];
  CHECK(bare_caps.contains("tools"));
  CHECK(bare_caps.contains("logging"));
  // Declared with an empty catalog too: old clients (Inspector 0.15) list them regardless.
  CHECK(bare_caps.contains("resources"));
  CHECK(bare_caps.contains("prompts"));
  CHECK_FALSE(bare_caps.contains("completions"));
}

TEST_CASE("notifications/initialized marks the client ready; other notifications are ignored") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  CHECK_FALSE(s->client_ready());
  d.handle_notification(*s, jsonrpc::Notification{"notifications/initialized", nullptr});
  CHECK(s->client_ready());
  CHECK_NOTHROW(d.handle_notification(*s, jsonrpc::Notification{"notifications/whatever", json{{"x", 1}}}));
  CHECK_NOTHROW(d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json::array()}));
  CHECK_NOTHROW(d.handle_notification(*s, jsonrpc::Notification{"notifications/cancelled", json{{"requestId", 1.5}}}));
}

TEST_CASE("an unknown method is -32601") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  CHECK(error_code(request(d, *s, 1, "foo/bar")) == code::method_not_found);
  CHECK(error_code(request(d, *s, 2, "tools/delete")) == code::method_not_found);
  CHECK(error_code(request(d, *s, 3, "resources/nope")) == code::method_not_found);
}

TEST_CASE("non-object params are -32602") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  CHECK(error_code(request(d, *s, 1, "tools/list", json::array({1}))) == code::invalid_params);
  CHECK(error_code(request(d, *s, 2, "tools/call", json::array({"echo"}))) == code::invalid_params);
}

// ---------------------------------------------------------------------------------------------
// tools/list

TEST_CASE("tools/list pages with nextCursor until every tool is listed once, in order") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const auto lists = s->context().lists->current();
  const auto& entries = lists->tools.entries();
  REQUIRE(entries.size() == 8);

  std::vector<std::string> names;
  json params = json::object();
  int pages = 0;
  for (;;) {
    const json result = result_of(request(d, *s, pages, "tools/list", params));
    ++pages;
    REQUIRE(pages <= 10);
    CHECK(result["tools"].size() <= 2);
    for (const auto& t : result["tools"]) {
      names.push_back(t["name"]);
      CHECK(t.contains("description"));
      CHECK(t["inputSchema"]["type"] == "object");
    }
    if (!result.contains("nextCursor")) break;
    REQUIRE(result["nextCursor"].is_string());
    params = json{{"cursor", result["nextCursor"]}};
  }
  CHECK(pages == 4);
  REQUIRE(names.size() == entries.size());
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(names[i] == entries[i].tool.name);

  // The tool with an output schema lists it.
  const json first = result_of(request(d, *s, 99, "tools/list"));
  CHECK(first["tools"][1]["name"] == "add");
  CHECK(first["tools"][1]["outputSchema"]["required"] == json::array({"sum"}));
  CHECK_FALSE(first["tools"][0].contains("outputSchema"));
}

TEST_CASE("tools/list with an invalid cursor is -32602") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  for (const json& cursor : {json("garbage"), json(""), json("o"), json("o999"), json("o2x"), json(2),
                             json::object()}) {
    CAPTURE(cursor.dump());
    CHECK(error_code(request(d, *s, 1, "tools/list", json{{"cursor", cursor}})) == code::invalid_params);
  }
  // A null cursor is the first page.
  CHECK(result_of(request(d, *s, 2, "tools/list", json{{"cursor", nullptr}}))["tools"].size() == 2);
}

// ---------------------------------------------------------------------------------------------
// tools/call

TEST_CASE("tools/call runs a tool and returns its content") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json result = result_of(call_tool(d, *s, "c1", "echo", json{{"text", "hi there"}}));
  CHECK(result["content"] == json::array({{{"type", "text"}, {"text", "hi there"}}}));
  CHECK_FALSE(result.contains("isError"));
}

TEST_CASE("tools/call of an unknown tool or without a name is -32602") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  CHECK(error_code(call_tool(d, *s, 1, "no_such_tool")) == code::invalid_params);
  CHECK(error_code(request(d, *s, 2, "tools/call", json::object())) == code::invalid_params);
  CHECK(error_code(request(d, *s, 3, "tools/call", json{{"name", 5}})) == code::invalid_params);
}

TEST_CASE("invalid tool arguments: an isError result on 2025-11-25") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25");
  for (const json& args : {json::object(), json{{"text", 5}}, json{{"text", "x"}, {"times", "two"}},
                           json{{"text", "x"}, {"times", 1.5}}, json("not an object"), json::array()}) {
    CAPTURE(args.dump());
    const json result = result_of(call_tool(d, *s, 1, "echo", args));
    CHECK(result["isError"] == true);
    REQUIRE(result["content"].size() >= 1);
    CHECK(result["content"][0]["type"] == "text");
    CHECK(result["content"][0]["text"].get<std::string>().find("echo") != std::string::npos);
  }
  // A missing arguments member is validated as {} (text is required).
  CHECK(result_of(call_tool(d, *s, 2, "echo"))["isError"] == true);
}

TEST_CASE("tool arguments sent as strings are converted to the declared type, as Archon did") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s, "2025-11-25");
  const json result = result_of(call_tool(d, *s, 1, "add", json{{"a", "2"}, {"b", 3.0}}));
  CHECK(result.value("isError", false) == false);
  CHECK(result["structuredContent"]["sum"] == 5);
  // Text that is no exact integer is still refused.
  CHECK(result_of(call_tool(d, *s, 2, "add", json{{"a", "2x"}, {"b", 3}}))["isError"] == true);
}

TEST_CASE("invalid tool arguments: -32602 before 2025-11-25") {
  const auto d = make_dispatcher();
  for (std::string version : {"2025-06-18", "2025-03-26", "2024-11-05"}) {
    CAPTURE(version);
    auto s = make_session();
    initialize(d, *s, version);
    CHECK(error_code(call_tool(d, *s, 1, "echo", json::object())) == code::invalid_params);
    CHECK(error_code(call_tool(d, *s, 2, "echo", json{{"text", 1}})) == code::invalid_params);
    CHECK(error_code(call_tool(d, *s, 3, "echo", json("x"))) == code::invalid_params);
    // Valid ones still run.
    CHECK(result_of(call_tool(d, *s, 4, "echo", json{{"text", "ok"}}))["content"][0]["text"] == "ok");
  }
}

TEST_CASE("a tool that throws yields an isError result, not a protocol error") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json result = result_of(call_tool(d, *s, 1, "boom"));
  CHECK(result["isError"] == true);
  CHECK(result["content"][0]["text"].get<std::string>().find("kaboom") != std::string::npos);
  // The session keeps working.
  CHECK(result_of(call_tool(d, *s, 2, "echo", json{{"text", "still here"}}))["content"][0]["text"] ==
        "still here");
  CHECK(s->inflight().size() == 0);
}

TEST_CASE("a tool with an output schema returns structuredContent") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  const json result = result_of(call_tool(d, *s, 1, "add", json{{"a", 2}, {"b", 3}}));
  CHECK(result["structuredContent"] == json{{"sum", 5}});
  CHECK(result["content"][0]["text"] == "5");
  // Declaring an output schema but returning no structured content is the server's fault.
  CHECK(error_code(call_tool(d, *s, 2, "forgetful")) == code::internal_error);
}

// ---------------------------------------------------------------------------------------------
// Progress and logging

TEST_CASE("progress notifications are sent only with a progress token, echoing its JSON type") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);

  SUBCASE("string token") {
    auto out = new_stream();
    result_of(call_tool(d, *s, 1, "chatty", nullptr, out, json{{"progressToken", "tok-1"}}));
    const auto progress = with_method(drain(*out), "notifications/progress");
    REQUIRE(progress.size() == 3);  // the repeated 2 is dropped
    std::vector<double> values;
    for (const auto& p : progress) {
      CHECK(p["params"]["progressToken"].is_string());
      CHECK(p["params"]["progressToken"] == "tok-1");
      CHECK(p["params"]["total"] == 3);
      CHECK_FALSE(p.contains("id"));
      values.push_back(p["params"]["progress"].get<double>());
    }
    CHECK(values == std::vector<double>{1, 2, 3});
    CHECK(progress[2]["params"]["message"] == "done");
    CHECK_FALSE(progress[0]["params"].contains("message"));
  }
  SUBCASE("integer token") {
    auto out = new_stream();
    result_of(call_tool(d, *s, 2, "chatty", nullptr, out, json{{"progressToken", 7}}));
    const auto progress = with_method(drain(*out), "notifications/progress");
    REQUIRE(progress.size() == 3);
    for (const auto& p : progress) {
      CHECK(p["params"]["progressToken"].is_number_integer());
      CHECK(p["params"]["progressToken"] == 7);
    }
  }
  SUBCASE("no token: no progress") {
    auto out = new_stream();
    result_of(call_tool(d, *s, 3, "chatty", nullptr, out));
    const auto messages = drain(*out);
    CHECK(with_method(messages, "notifications/progress").empty());
    CHECK_FALSE(with_method(messages, "notifications/message").empty());  // logs still flow
  }
  SUBCASE("_meta without a token: no progress") {
    auto out = new_stream();
    result_of(call_tool(d, *s, 4, "chatty", nullptr, out, json{{"other", 1}}));
    CHECK(with_method(drain(*out), "notifications/progress").empty());
  }
  SUBCASE("without an outbox of its own a request's messages go to the client's") {
    result_of(call_tool(d, *s, 5, "chatty", nullptr, nullptr, json{{"progressToken", "t"}}));
    const auto messages = drain(*s);
    CHECK(with_method(messages, "notifications/progress").size() == 3);
    CHECK(with_method(messages, "notifications/message").size() == 3);
  }
}

TEST_CASE("log messages are filtered by logging/setLevel") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);

  auto out = new_stream();
  result_of(call_tool(d, *s, 1, "chatty", nullptr, out));
  auto logs = with_method(drain(*out), "notifications/message");
  REQUIRE(logs.size() == 3);  // default level: debug
  CHECK(logs[0]["params"]["level"] == "debug");
  CHECK(logs[0]["params"]["data"] == "d");
  CHECK(logs[0]["params"]["logger"] == "chatty");
  CHECK(logs[1]["params"]["level"] == "info");
  CHECK(logs[1]["params"]["data"] == json{{"k", "i"}});
  CHECK(logs[2]["params"]["level"] == "error");

  CHECK(result_of(request(d, *s, 2, "logging/setLevel", json{{"level", "warning"}})) == json::object());
  CHECK(s->log_level() == tools::LogLevel::warning);
  out = new_stream();
  result_of(call_tool(d, *s, 3, "chatty", nullptr, out));
  logs = with_method(drain(*out), "notifications/message");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["params"]["level"] == "error");

  result_of(request(d, *s, 4, "logging/setLevel", json{{"level", "emergency"}}));
  out = new_stream();
  result_of(call_tool(d, *s, 5, "chatty", nullptr, out));
  CHECK(with_method(drain(*out), "notifications/message").empty());

  result_of(request(d, *s, 6, "logging/setLevel", json{{"level", "debug"}}));
  out = new_stream();
  result_of(call_tool(d, *s, 7, "chatty", nullptr, out));
  CHECK(with_method(drain(*out), "notifications/message").size() == 3);
}

TEST_CASE("logging/setLevel with an invalid level is -32602 and keeps the old level") {
  const auto d = make_dispatcher();
  auto s = make_session();
  initialize(d, *s);
  result_of(request(d, *s, 1, "logging/setLevel", json{{"level", "error"}}));
  for (const json& params : {json{{"level", "loud"}}, json{{"level", "ERROR"}}, json{{"level", 3}},
                             json::object()}) {
    CAPTURE(params.dump());
    CHECK(error_code(request(d, *s, 2, "logging/setLevel", params)) == code::invalid_params);
  }
  CHECK(s->log_level() == tools::LogLevel::error);
}
