// protocol::Dispatcher driven directly with a ClientState (protocol/dispatcher.hpp): the
// messages a request sends are recorded, not framed.
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/shared_context.hpp"

#include "recording_outbox.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using json = nlohmann::json;
using protocol::Dispatcher;
using protocol::ClientState;
using test_support::RecordingOutbox;
namespace code = jsonrpc::code;

namespace {

using test_support::eventually;


using Clock = std::chrono::steady_clock;

std::atomic<int> g_wait_started{0};


tools::Tool tool(std::string name, tools::ToolHandler handler, json input_schema = json{{"type", "object"}}) {
  tools::Tool t;
  t.name = std::move(name);
  t.description = "test tool " + t.name;
  t.input_schema = std::move(input_schema);
  t.handler = std::move(handler);
  return t;
}

void add_tools(tools::ToolRegistry& registry) {
  registry.add(tool(
      "echo",
      [](const json& args, tools::ToolContext&) {
        return tools::ToolResult::text(args.at("text").get<std::string>());
      },
      json{{"type", "object"},
           {"properties", {{"text", {{"type", "string"}}}, {"times", {{"type", "integer"}}}}},
           {"required", json::array({"text"})}}));

  auto add = tool(
      "add",
      [](const json& args, tools::ToolContext&) {
        const long long sum = args.at("a").get<long long>() + args.at("b").get<long long>();
        auto r = tools::ToolResult::text(std::to_string(sum));
        r.structured = json{{"sum", sum}};
        return r;
      },
      json{{"type", "object"},
           {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "integer"}}}}},
           {"required", json::array({"a", "b"})}});
  add.output_schema = json{{"type", "object"},
                           {"properties", {{"sum", {{"type", "integer"}}}}},
                           {"required", json::array({"sum"})}};
  add.style = tools::CallStyle::instant;
  registry.add(std::move(add));

  auto quiet_wait = tool("quiet_wait", [](const json&, tools::ToolContext&) {
    std::this_thread::sleep_for(1ms);  // stands for a backend call: waits, sends the client nothing
    return tools::ToolResult::text("waited");
  });
  quiet_wait.style = tools::CallStyle::silent;
  registry.add(std::move(quiet_wait));

  auto forgetful = tool("forgetful", [](const json&, tools::ToolContext&) {
    return tools::ToolResult::text("no structured content");
  });
  forgetful.output_schema = json{{"type", "object"}};
  registry.add(std::move(forgetful));

  registry.add(tool("boom", [](const json&, tools::ToolContext&) -> tools::ToolResult {
    throw std::runtime_error("kaboom");
  }));

  registry.add(tool("chatty", [](const json&, tools::ToolContext& ctx) {
    ctx.log(tools::LogLevel::debug, "d", "chatty");
    ctx.log(tools::LogLevel::info, json{{"k", "i"}}, "chatty");
    ctx.log(tools::LogLevel::error, "e", "chatty");
    ctx.progress(1, 3);
    ctx.progress(2, 3);
    ctx.progress(2, 3);  // not an increase: dropped
    ctx.progress(3, 3, "done");
    return tools::ToolResult::text("chatted");
  }));

  registry.add(tool("wait_cancel", [](const json&, tools::ToolContext& ctx) {
    g_wait_started.fetch_add(1);
    const auto until = Clock::now() + 20s;  // safety net so a broken cancel cannot hang the suite
    while (!ctx.cancelled() && Clock::now() < until) std::this_thread::sleep_for(1ms);
    return tools::ToolResult::text(ctx.cancelled() ? "cancelled" : "not cancelled");
  }));

  registry.add(tool(
      "ask",
      [](const json& args, tools::ToolContext& ctx) {
        const auto timeout = std::chrono::milliseconds(args.value("timeout_ms", 10000));
        const json answer = ctx.request_client(
            args.value("method", std::string("sampling/createMessage")),
            json{{"messages", json::array({{{"role", "user"}, {"content", {{"type", "text"}, {"text", "hi"}}}}})},
                 {"maxTokens", 5}},
            timeout);
        return tools::ToolResult::text("client said: " + answer.dump());
      },
      json{{"type", "object"},
           {"properties", {{"timeout_ms", {{"type", "integer"}}}, {"method", {{"type", "string"}}}}}}));
}

std::shared_ptr<const SharedContext> full_context() {
  auto ctx = std::make_shared<SharedContext>();
  ctx->info.name = "mcpgate-test";
  ctx->info.version = "9.9.9";
  ctx->info.title = "Test Server";
  ctx->info.description = "for unit tests";
  ctx->info.instructions = "be nice";
  add_tools(ctx->tools);

  tools::Resource readme;
  readme.uri = "mem://readme";
  readme.name = "readme";
  readme.mime_type = "text/plain";
  readme.read = [] {
    return json::array({{{"uri", "mem://readme"}, {"mimeType", "text/plain"}, {"text", "hello"}}});
  };
  ctx->catalog.add(std::move(readme));

  tools::ResourceTemplate items;
  items.uri_template = "mem://items/{id}";
  items.name = "items";
  items.read = [](const std::string& uri, const std::map<std::string, std::string>& vars) {
    return json::array({{{"uri", uri}, {"text", "item " + vars.at("id")}}});
  };
  ctx->catalog.add(std::move(items));

  tools::Prompt greet;
  greet.name = "greet";
  greet.description = "Say hello";
  greet.arguments = {{"name", "who", true}, {"style", "how", false}};
  greet.get = [](const std::map<std::string, std::string>& args) {
    std::string text = "Hello " + args.at("name");
    if (auto it = args.find("style"); it != args.end()) text += " (" + it->second + ")";
    return json{{"messages", json::array({{{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}}})}};
  };
  ctx->catalog.add(std::move(greet));

  ctx->catalog.set_completer([](const json&, const json& argument) {
    std::vector<std::string> out;
    const std::string prefix = argument.value("value", "");
    for (std::string v : {"Alice", "Albert", "Bob"})
      if (v.rfind(prefix, 0) == 0) out.push_back(v);
    return out;
  });
  return ctx;
}

// Tools only: no resources, prompts or completion.
std::shared_ptr<const SharedContext> tools_only_context() {
  auto ctx = std::make_shared<SharedContext>();
  ctx->info.version = "1";
  add_tools(ctx->tools);
  return ctx;
}

Dispatcher make_dispatcher(std::chrono::milliseconds client_timeout = 10000ms) {
  protocol::DispatchOptions o;
  o.page_size = 2;
  o.client_request_timeout = client_timeout;
  return Dispatcher(o);
}

// A client whose notifications (and the messages of requests without an outbox) are recorded.
std::unique_ptr<ClientState> make_session(std::shared_ptr<const SharedContext> ctx = full_context()) {
  return std::make_unique<ClientState>("sess1", std::move(ctx), std::make_shared<RecordingOutbox>());
}

json request(const Dispatcher& d, ClientState& s, json id, std::string method, json params = nullptr,
             const std::shared_ptr<protocol::Outbox>& out = nullptr) {
  auto response = d.handle_request(s, jsonrpc::Request{id, std::move(method), std::move(params)}, out);
  REQUIRE(response.has_value());
  CHECK((*response)["jsonrpc"] == "2.0");
  CHECK((*response)["id"] == id);
  return *response;
}

json result_of(const json& response) {
  INFO(response.dump());
  REQUIRE(response.contains("result"));
  REQUIRE_FALSE(response.contains("error"));
  return response["result"];
}

int error_code(const json& response) {
  INFO(response.dump());
  REQUIRE(response.contains("error"));
  REQUIRE_FALSE(response.contains("result"));
  return response["error"]["code"].get<int>();
}

json initialize(const Dispatcher& d, ClientState& s, std::string version = "2025-11-25",
                json capabilities = json::object()) {
  return result_of(request(d, s, 0, "initialize",
                           json{{"protocolVersion", version},
                                {"capabilities", std::move(capabilities)},
                                {"clientInfo", {{"name", "unit"}, {"version", "1"}}}}));
}

json call_tool(const Dispatcher& d, ClientState& s, json id, const std::string& name, json arguments = nullptr,
               const std::shared_ptr<protocol::Outbox>& out = nullptr, json meta = nullptr) {
  json params{{"name", name}};
  if (!arguments.is_null()) params["arguments"] = std::move(arguments);
  if (!meta.is_null()) params["_meta"] = std::move(meta);
  return request(d, s, std::move(id), "tools/call", std::move(params), out);
}

// Every JSON-RPC message sent so far.
std::vector<json> drain(const RecordingOutbox& outbox) { return outbox.messages(); }

// Every message sent to the client's own outbox so far.
std::vector<json> drain(const ClientState& client) {
  return static_cast<const RecordingOutbox&>(*client.outbox()).messages();
}

std::vector<json> with_method(const std::vector<json>& messages, std::string_view method) {
  std::vector<json> out;
  for (const auto& m : messages)
    if (m.value("method", "") == method) out.push_back(m);
  return out;
}

std::shared_ptr<RecordingOutbox> new_stream() { return std::make_shared<RecordingOutbox>(); }

}  // namespace

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
  const auto& entries = s->context().tools.entries();
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
