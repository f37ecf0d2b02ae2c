// What a session may hold and for how long: its requests in flight (a cap, unique and bounded
// ids, cancellation that reaches the backend), what it keeps of initialize, and the eviction of
// the idlest session at the registry's cap.
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/transport/stream_set.hpp"
#include "mcpgate/util/cancellation.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using sessions::Session;
using sessions::SessionRegistry;
using sessions::Transport;

using transport::streams_of;

namespace {

// A session's SSE streams, as the transport makes them.
std::unique_ptr<transport::StreamSet> sse_streams(Transport t = Transport::streamable_http,
                                                  transport::StreamOptions o = {}) {
  return std::make_unique<transport::StreamSet>("sid", t, std::move(o));
}


std::shared_ptr<const SharedContext> limits_context() {
  static const auto ctx = std::make_shared<const SharedContext>();
  return ctx;
}

sessions::RegistryOptions capped_registry(std::size_t max_sessions) {
  sessions::RegistryOptions o;
  o.make_streams = transport::make_streams({});
  o.max_sessions = max_sessions;
  o.idle_ttl = 3600s;
  return o;
}

Session fresh_session() {
  return Session("sid", Transport::streamable_http, limits_context(), sse_streams());
}

// A request admitted to `table`, which must take it.
protocol::CancelFlag admit_ok(protocol::InFlightRequests& table, const nlohmann::json& id) {
  auto result = table.begin(id);
  REQUIRE(std::holds_alternative<protocol::CancelFlag>(result));
  return std::get<protocol::CancelFlag>(result);
}

std::optional<protocol::InFlightRequests::Refusal> refusal_of(protocol::InFlightRequests& table,
                                                           const nlohmann::json& id) {
  auto result = table.begin(id);
  if (auto* why = std::get_if<protocol::InFlightRequests::Refusal>(&result)) return *why;
  return std::nullopt;
}

}  // namespace

TEST_CASE("SessionRegistry: at the cap the idlest session makes room, never-used ones first") {
  SessionRegistry registry(capped_registry(4));
  auto used_old = registry.create(Transport::streamable_http, limits_context());
  std::this_thread::sleep_for(5ms);
  auto unused_old = registry.create(Transport::streamable_http, limits_context());
  std::this_thread::sleep_for(5ms);
  auto unused_new = registry.create(Transport::streamable_http, limits_context());
  std::this_thread::sleep_for(5ms);
  auto streaming = registry.create(Transport::streamable_http, limits_context());
  REQUIRE(used_old);
  REQUIRE(unused_old);
  REQUIRE(unused_new);
  REQUIRE(streaming);
  used_old->note_request();  // it sent a request after initialize, long ago
  const auto gen = streams_of(*streaming).session_stream()->attach();  // never used, but its GET is open

  // The never-used sessions go first, oldest first; the open stream keeps `streaming`.
  auto first = registry.create(Transport::streamable_http, limits_context());
  REQUIRE(first);
  CHECK(unused_old->ended());
  CHECK(registry.find(unused_old->id()) == nullptr);  // its id is gone, as after expiry
  first->note_request();
  auto second = registry.create(Transport::streamable_http, limits_context());
  REQUIRE(second);
  CHECK(unused_new->ended());
  second->note_request();
  // Then the one idle longest, though it was used.
  auto third = registry.create(Transport::streamable_http, limits_context());
  REQUIRE(third);
  CHECK(used_old->ended());
  CHECK_FALSE(streaming->ended());
  CHECK_FALSE(first->ended());
  CHECK_FALSE(second->ended());
  CHECK(registry.evictions() == 3);
  CHECK(registry.counts().total() == 4);
  streams_of(*streaming).session_stream()->detach(gen);
}

TEST_CASE("Session: busy while a request runs or a stream is open to the client") {
  auto s = fresh_session();
  CHECK_FALSE(s.busy());
  {
    auto flag = admit_ok(s.inflight(), "r1");
    CHECK(s.busy());
    s.inflight().end("r1");
  }
  CHECK_FALSE(s.busy());
  auto post = streams_of(s).open_request_stream();
  const auto gen = post->attach();
  CHECK(s.busy());
  post->detach(gen);
  CHECK_FALSE(s.busy());
  CHECK_FALSE(s.used());
  s.note_request();
  CHECK(s.used());
}

TEST_CASE("InFlightRequests: a cap, unique ids, bounded ids; cancel reaches the Cancellation") {
  using Refusal = protocol::InFlightRequests::Refusal;
  protocol::InFlightRequests table(3);
  CHECK(table.capacity() == 3);
  auto one = admit_ok(table, 1);
  auto two = admit_ok(table, "two");
  CHECK(refusal_of(table, 1) == Refusal::duplicate_id);
  CHECK(refusal_of(table, std::string(300, 'x')) == Refusal::id_too_long);
  auto three = admit_ok(table, 3);
  CHECK(refusal_of(table, 4) == Refusal::full);
  CHECK(table.size() == 3);
  table.end(3);
  auto four = admit_ok(table, 4);  // room again

  bool hook_ran = false;
  auto hook = two->on_cancel([&] { hook_ran = true; });
  CHECK(table.cancel("two"));
  CHECK(two->cancelled());
  CHECK(hook_ran);
  CHECK_FALSE(one->cancelled());
  CHECK_FALSE(table.cancel(99));

  table.cancel_all();
  CHECK(one->cancelled());
  CHECK(four->cancelled());
  table.end(1);
  // Begun after the end of the session: cancelled from the start.
  auto late = admit_ok(table, 5);
  CHECK(late->cancelled());

  const auto error = protocol::refusal_error(7, Refusal::full, 3);
  CHECK(error["id"] == 7);
  CHECK(error["error"]["code"] == jsonrpc::code::too_many_requests);
  CHECK(error["error"]["message"].get<std::string>().find("Too many requests in flight") == 0);
  CHECK(protocol::refusal_error(7, Refusal::duplicate_id, 3)["error"]["code"] ==
        jsonrpc::code::invalid_request);
}

TEST_CASE("Session: what the client declared is kept as compact text") {
  auto s = fresh_session();
  CHECK(s.client_data_bytes() == 4);  // {} and {}
  Session::Negotiated n;
  n.protocol_version = "2025-11-25";
  n.client_capabilities = {{"sampling", nlohmann::json::object()}, {"roots", {{"listChanged", true}}}};
  n.client_info = {{"name", "c"}, {"version", "1"}};
  REQUIRE(s.initialize(n));
  CHECK(s.client_capabilities() == n.client_capabilities);
  CHECK(s.client_info() == n.client_info);
  CHECK(s.client_data_bytes() == n.client_capabilities.dump().size() + n.client_info.dump().size());
}


TEST_CASE("Session: subscriptions count against the kept-data budget") {
  auto s = fresh_session();
  const std::size_t budget = 4 + 100;  // {} {} and room for 100 bytes of URIs
  CHECK(s.subscribe(std::string(60, 'a'), budget));
  CHECK(s.subscribe(std::string(60, 'a'), budget));  // already there: nothing more kept
  CHECK_FALSE(s.subscribe(std::string(60, 'b'), budget));
  CHECK(s.client_data_bytes() == 64);
  s.unsubscribe(std::string(60, 'a'));
  CHECK(s.subscribe(std::string(60, 'b'), budget));
  CHECK(s.client_data_bytes() == 64);
}

TEST_CASE("Cancellation: hooks run once on cancel, at once when late, never after release") {
  util::Cancellation cancellation;
  int ran = 0, released_ran = 0;
  auto hook = cancellation.on_cancel([&] { ++ran; });
  {
    auto released = cancellation.on_cancel([&] { ++released_ran; });
  }
  CHECK(util::CancellationScope::current() == nullptr);
  {
    const util::CancellationScope scope(&cancellation);
    CHECK(util::CancellationScope::current() == &cancellation);
  }
  CHECK(util::CancellationScope::current() == nullptr);
  CHECK_FALSE(cancellation.cancelled());
  cancellation.cancel();
  cancellation.cancel();
  CHECK(cancellation.cancelled());
  CHECK(ran == 1);
  CHECK(released_ran == 0);
  int late = 0;
  auto late_hook = cancellation.on_cancel([&] { ++late; });
  CHECK(late == 1);
}

TEST_CASE("Cancellation: releasing a hook waits for it when it is running") {
  util::Cancellation cancellation;
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  std::optional<util::Cancellation::Hook> hook;
  hook.emplace(cancellation.on_cancel([&] {
    entered = true;
    std::this_thread::sleep_for(50ms);
    finished = true;
  }));
  std::thread canceller([&] { cancellation.cancel(); });
  while (!entered.load()) std::this_thread::yield();
  hook.reset();  // must not return while the hook still runs
  CHECK(finished.load());
  canceller.join();
}

// ---------------------------------------------------------------------------------------------
// Through the dispatcher

namespace {

using json = nlohmann::json;

// A context with one tool that runs until its request is cancelled, and says whether its
// thread's work belonged to the request's Cancellation meanwhile.
struct BlockingTool {
  std::atomic<int> started{0};
  std::atomic<int> saw_scope{0};
  std::shared_ptr<const SharedContext> context;

  BlockingTool() {
    auto ctx = std::make_shared<SharedContext>();
    tools::Tool t;
    t.name = "block";
    t.description = "waits until cancelled";
    t.handler = [this](const json&, tools::ToolContext& tool_context) {
      const auto* scope = util::CancellationScope::current();
      if (scope && !scope->cancelled()) ++saw_scope;
      ++started;
      const auto give_up = std::chrono::steady_clock::now() + 20s;
      while (!tool_context.cancelled() && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(2ms);
      return tools::ToolResult::text(scope && scope->cancelled() ? "cancelled" : "timed out");
    };
    tools::Lists lists;
    lists.tools.add(std::move(t));
    ctx->lists->start_with(std::move(lists));
    context = std::move(ctx);
  }
};

json limits_initialize_params(json capabilities, json client_info) {
  return json{{"protocolVersion", "2025-11-25"},
              {"capabilities", std::move(capabilities)},
              {"clientInfo", std::move(client_info)}};
}

json call_block(const protocol::Dispatcher& d, Session& s, const json& id, json meta = nullptr) {
  json params{{"name", "block"}};
  if (!meta.is_null()) params["_meta"] = std::move(meta);
  auto response = d.handle_request(s, jsonrpc::Request{id, "tools/call", std::move(params)}, nullptr);
  return response ? *response : json();
}

}  // namespace

TEST_CASE("Dispatcher: initialize over --max-session-data is refused with -32602, nothing kept") {
  protocol::DispatchOptions options;
  options.max_session_data = 1024;
  const protocol::Dispatcher d(options);
  BlockingTool tool;
  Session s("sid", Transport::streamable_http, tool.context, sse_streams());
  json big = json::object();
  for (int i = 0; i < 100; ++i) big["k" + std::to_string(i)] = std::string(10, 'x');
  auto refused = d.handle_request(
      s, jsonrpc::Request{1, "initialize", limits_initialize_params(big, {{"name", "c"}})}, nullptr);
  REQUIRE(refused);
  CHECK((*refused)["id"] == 1);
  CHECK((*refused)["error"]["code"] == jsonrpc::code::invalid_params);
  CHECK((*refused)["error"]["message"].get<std::string>().find("--max-session-data") !=
        std::string::npos);
  CHECK_FALSE(s.initialized());
  CHECK(s.client_data_bytes() == 4);

  // clientInfo counts as well; within the budget it is kept.
  auto too_much_info = d.handle_request(
      s, jsonrpc::Request{2, "initialize", limits_initialize_params({}, {{"name", std::string(1100, 'n')}})},
      nullptr);
  REQUIRE(too_much_info);
  CHECK((*too_much_info)["error"]["code"] == jsonrpc::code::invalid_params);
  auto ok = d.handle_request(
      s, jsonrpc::Request{3, "initialize", limits_initialize_params({{"sampling", json::object()}},
                                                            {{"name", "c"}, {"version", "1"}})},
      nullptr);
  REQUIRE(ok);
  CHECK(ok->contains("result"));
  CHECK(s.client_supports("sampling"));
  CHECK(s.client_info()["name"] == "c");
}

TEST_CASE("Dispatcher: a session at its in-flight cap is refused at once; its end cancels the rest") {
  const protocol::Dispatcher d(protocol::DispatchOptions{});
  BlockingTool tool;
  Session s("sid", Transport::streamable_http, tool.context, sse_streams(), 2);
  REQUIRE(d.handle_request(s, jsonrpc::Request{0, "initialize", limits_initialize_params({}, {})}, nullptr));

  std::vector<std::thread> callers;
  std::vector<json> answers(2);
  for (int i = 0; i < 2; ++i)
    callers.emplace_back([&, i] { answers[static_cast<std::size_t>(i)] = call_block(d, s, i + 1); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (tool.started.load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  REQUIRE(tool.started.load() == 2);
  CHECK(tool.saw_scope.load() == 2);  // their work belongs to their requests' Cancellations

  const json refused = call_block(d, s, 3);
  CHECK(refused["id"] == 3);
  CHECK(refused["error"]["code"] == jsonrpc::code::too_many_requests);
  CHECK(refused["error"]["data"]["limit"] == 2);
  // A running id cannot be reused: a cancellation could not tell the two apart.
  CHECK(call_block(d, s, 1)["error"]["code"] == jsonrpc::code::invalid_request);
  CHECK(tool.started.load() == 2);

  s.end();
  for (auto& caller : callers) caller.join();
  CHECK(s.inflight().size() == 0);
}

TEST_CASE("Dispatcher: a progress token longer than 256 bytes is refused with -32602") {
  const protocol::Dispatcher d(protocol::DispatchOptions{});
  BlockingTool tool;
  Session s("sid", Transport::streamable_http, tool.context, sse_streams());
  REQUIRE(d.handle_request(s, jsonrpc::Request{0, "initialize", limits_initialize_params({}, {})}, nullptr));
  const json refused = call_block(d, s, 1, {{"progressToken", std::string(300, 't')}});
  CHECK(refused["error"]["code"] == jsonrpc::code::invalid_params);
  CHECK(tool.started.load() == 0);
}
