// What the dispatcher's unit tests share (test_dispatcher.cpp, test_dispatcher_client.cpp): a
// context with tools that report, wait and fail on demand, resources and prompts, a ClientState
// whose outbox records messages, and helpers that send one request and read its answer.
#pragma once

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/protocol/versions.hpp"
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

namespace dispatcher_fixture {

using namespace mcpgate;
using namespace std::chrono_literals;
using json = nlohmann::json;
using protocol::Dispatcher;
using protocol::ClientState;
using test_support::RecordingOutbox;
namespace code = jsonrpc::code;

using test_support::eventually;

using Clock = std::chrono::steady_clock;

inline std::atomic<int> g_wait_started{0};


inline tools::Tool tool(std::string name, tools::ToolHandler handler, json input_schema = json{{"type", "object"}}) {
  tools::Tool t;
  t.name = std::move(name);
  t.description = "test tool " + t.name;
  t.input_schema = std::move(input_schema);
  t.handler = std::move(handler);
  return t;
}

inline void add_tools(tools::ToolRegistry& registry) {
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

inline std::shared_ptr<const SharedContext> full_context() {
  auto ctx = std::make_shared<SharedContext>();
  ctx->info.name = "mcpgate-test";
  ctx->info.version = "9.9.9";
  ctx->info.title = "Test Server";
  ctx->info.description = "for unit tests";
  ctx->info.instructions = "be nice";
  tools::Lists lists;
  add_tools(lists.tools);

  tools::Resource readme;
  readme.uri = "mem://readme";
  readme.name = "readme";
  readme.mime_type = "text/plain";
  readme.read = [] {
    return json::array({{{"uri", "mem://readme"}, {"mimeType", "text/plain"}, {"text", "hello"}}});
  };
  lists.catalog.add(std::move(readme));

  tools::ResourceTemplate items;
  items.uri_template = "mem://items/{id}";
  items.name = "items";
  items.read = [](const std::string& uri, const std::map<std::string, std::string>& vars) {
    return json::array({{{"uri", uri}, {"text", "item " + vars.at("id")}}});
  };
  lists.catalog.add(std::move(items));

  tools::Prompt greet;
  greet.name = "greet";
  greet.description = "Say hello";
  greet.arguments = {{"name", "who", true}, {"style", "how", false}};
  greet.get = [](const std::map<std::string, std::string>& args) {
    std::string text = "Hello " + args.at("name");
    if (auto it = args.find("style"); it != args.end()) text += " (" + it->second + ")";
    return json{{"messages", json::array({{{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}}})}};
  };
  lists.catalog.add(std::move(greet));

  lists.catalog.set_completer([](const json&, const json& argument) {
    std::vector<std::string> out;
    const std::string prefix = argument.value("value", "");
    for (std::string v : {"Alice", "Albert", "Bob"})
      if (v.rfind(prefix, 0) == 0) out.push_back(v);
    return out;
  });
  ctx->lists->start_with(std::move(lists));
  return ctx;
}

// Tools only: no resources, prompts or completion.
inline std::shared_ptr<const SharedContext> tools_only_context() {
  auto ctx = std::make_shared<SharedContext>();
  ctx->info.version = "1";
  tools::Lists lists;
  add_tools(lists.tools);
  ctx->lists->start_with(std::move(lists));
  return ctx;
}

inline Dispatcher make_dispatcher(std::chrono::milliseconds client_timeout = 10000ms) {
  protocol::DispatchOptions o;
  o.page_size = 2;
  o.client_request_timeout = client_timeout;
  return Dispatcher(o);
}

// A client whose notifications (and the messages of requests without an outbox) are recorded.
inline std::unique_ptr<ClientState> make_session(std::shared_ptr<const SharedContext> ctx = full_context()) {
  return std::make_unique<ClientState>("sess1", std::move(ctx), std::make_shared<RecordingOutbox>());
}

inline json request(const Dispatcher& d, ClientState& s, json id, std::string method, json params = nullptr,
             const std::shared_ptr<protocol::Outbox>& out = nullptr) {
  auto response = d.handle_request(s, jsonrpc::Request{id, std::move(method), std::move(params)}, out);
  REQUIRE(response.has_value());
  CHECK((*response)["jsonrpc"] == "2.0");
  CHECK((*response)["id"] == id);
  return *response;
}

inline json result_of(const json& response) {
  INFO(response.dump());
  REQUIRE(response.contains("result"));
  REQUIRE_FALSE(response.contains("error"));
  return response["result"];
}

inline int error_code(const json& response) {
  INFO(response.dump());
  REQUIRE(response.contains("error"));
  REQUIRE_FALSE(response.contains("result"));
  return response["error"]["code"].get<int>();
}

inline json initialize(const Dispatcher& d, ClientState& s, std::string version = "2025-11-25",
                json capabilities = json::object()) {
  return result_of(request(d, s, 0, "initialize",
                           json{{"protocolVersion", version},
                                {"capabilities", std::move(capabilities)},
                                {"clientInfo", {{"name", "unit"}, {"version", "1"}}}}));
}

inline json call_tool(const Dispatcher& d, ClientState& s, json id, const std::string& name, json arguments = nullptr,
               const std::shared_ptr<protocol::Outbox>& out = nullptr, json meta = nullptr) {
  json params{{"name", name}};
  if (!arguments.is_null()) params["arguments"] = std::move(arguments);
  if (!meta.is_null()) params["_meta"] = std::move(meta);
  return request(d, s, std::move(id), "tools/call", std::move(params), out);
}

// Every JSON-RPC message sent so far.
inline std::vector<json> drain(const RecordingOutbox& outbox) { return outbox.messages(); }

// Every message sent to the client's own outbox so far.
inline std::vector<json> drain(const ClientState& client) {
  return static_cast<const RecordingOutbox&>(*client.outbox()).messages();
}

inline std::vector<json> with_method(const std::vector<json>& messages, std::string_view method) {
  std::vector<json> out;
  for (const auto& m : messages)
    if (m.value("method", "") == method) out.push_back(m);
  return out;
}

inline std::shared_ptr<RecordingOutbox> new_stream() { return std::make_shared<RecordingOutbox>(); }

}  // namespace dispatcher_fixture
