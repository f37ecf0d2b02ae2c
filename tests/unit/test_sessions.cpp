// SessionRegistry (sessions/registry.hpp) and Session (sessions/session.hpp).
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/transport/stream_set.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
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


using test_support::eventually;


std::shared_ptr<const SharedContext> context() {
  static const auto ctx = std::make_shared<const SharedContext>();
  return ctx;
}

sessions::RegistryOptions registry_options() {
  sessions::RegistryOptions o;
  o.make_streams = transport::make_streams({});
  o.max_sessions = 100;
  o.idle_ttl = 3600s;
  return o;
}

bool id_chars_ok(std::string_view s) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}


Session plain_session(Transport t = Transport::streamable_http, transport::StreamOptions o = {}) {
  return Session("sid", t, context(), sse_streams(t, o));
}

// A request admitted to `table`, which must take it.
protocol::CancelFlag admitted(protocol::InFlightRequests& table, const nlohmann::json& id) {
  auto result = table.begin(id);
  REQUIRE(std::holds_alternative<protocol::CancelFlag>(result));
  return std::get<protocol::CancelFlag>(result);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SessionRegistry

TEST_CASE("SessionRegistry: create, find, remove") {
  SessionRegistry registry(registry_options());
  auto s = registry.create(Transport::streamable_http, context());
  REQUIRE(s);
  CHECK(s->transport() == Transport::streamable_http);
  CHECK_FALSE(s->ended());
  CHECK(registry.find(s->id()) == s);
  CHECK(registry.find("no-such-session") == nullptr);
  CHECK(registry.find("") == nullptr);

  CHECK(registry.remove(s->id()));
  CHECK(s->ended());  // removing ends it
  CHECK(registry.find(s->id()) == nullptr);
  CHECK_FALSE(registry.remove(s->id()));
  CHECK(registry.counts().total() == 0);
}

TEST_CASE("SessionRegistry: ids use the prefix and are distinct") {
  auto o = registry_options();
  o.id_prefix = "a.";
  SessionRegistry registry(o);
  auto s1 = registry.create(Transport::streamable_http, context());
  auto s2 = registry.create(Transport::legacy_sse, context());
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(s1->id().rfind("a.", 0) == 0);
  CHECK(s1->id().size() == 24);
  CHECK(s1->id() != s2->id());
}

TEST_CASE("SessionRegistry: counts by transport") {
  SessionRegistry registry(registry_options());
  std::vector<std::shared_ptr<Session>> kept;
  for (int i = 0; i < 3; ++i) kept.push_back(registry.create(Transport::streamable_http, context()));
  for (int i = 0; i < 2; ++i) kept.push_back(registry.create(Transport::legacy_sse, context()));
  auto c = registry.counts();
  CHECK(c.streamable_http == 3);
  CHECK(c.legacy_sse == 2);
  CHECK(c.total() == 5);

  CHECK(registry.remove(kept[0]->id()));
  CHECK(registry.remove(kept[4]->id()));
  c = registry.counts();
  CHECK(c.streamable_http == 2);
  CHECK(c.legacy_sse == 1);
}

TEST_CASE("SessionRegistry: max_sessions caps creation when every session is busy") {
  auto o = registry_options();
  o.max_sessions = 2;
  SessionRegistry registry(o);
  auto a = registry.create(Transport::streamable_http, context());
  auto b = registry.create(Transport::legacy_sse, context());
  REQUIRE(a);
  REQUIRE(b);
  // Busy: a stream open to the client (the legacy session's), a request running (a's).
  (void)streams_of(*b).session_stream()->attach();
  auto running = admitted(a->inflight(), 1);
  CHECK(registry.create(Transport::streamable_http, context()) == nullptr);
  CHECK(registry.create(Transport::legacy_sse, context()) == nullptr);
  CHECK(registry.counts().total() == 2);
  CHECK(registry.evictions() == 0);
  CHECK_FALSE(a->ended());
  CHECK_FALSE(b->ended());
  // Room again after a removal.
  CHECK(registry.remove(a->id()));
  CHECK(registry.create(Transport::streamable_http, context()) != nullptr);
  CHECK(registry.counts().total() == 2);
}

TEST_CASE("SessionRegistry::random_id: prefix + 22 chars of [A-Za-z0-9_-], unique over 10k draws") {
  std::unordered_set<std::string> seen;
  bool all_ok = true;
  for (int i = 0; i < 10000; ++i) {
    const auto id = SessionRegistry::random_id("pfx.");
    if (id.size() != 26 || id.rfind("pfx.", 0) != 0 || !id_chars_ok(id.substr(4))) {
      all_ok = false;
      CAPTURE(id);
      FAIL_CHECK("malformed id");
    }
    seen.insert(id);
  }
  CHECK(all_ok);
  CHECK(seen.size() == 10000);

  const auto bare = SessionRegistry::random_id("");
  CHECK(bare.size() == 22);
  CHECK(id_chars_ok(bare));

  // All 64 symbols are used (the encoding is not biased to a sub-alphabet).
  std::set<char> symbols;
  for (const auto& id : seen)
    for (std::size_t k = 4; k + 1 < id.size(); ++k) symbols.insert(id[k]);
  CHECK(symbols.size() == 64);
}

TEST_CASE("SessionRegistry::expire_idle ends only idle Streamable HTTP sessions") {
  auto o = registry_options();
  o.idle_ttl = 1s;
  SessionRegistry registry(o);
  auto idle = registry.create(Transport::streamable_http, context());
  auto legacy = registry.create(Transport::legacy_sse, context());
  auto streaming = registry.create(Transport::streamable_http, context());
  REQUIRE(idle);
  REQUIRE(legacy);
  REQUIRE(streaming);
  const auto gen = streams_of(*streaming).session_stream()->attach();  // a GET stream is open

  const auto now = Session::Clock::now();
  CHECK(registry.expire_idle(now) == 0);  // nobody is idle yet
  CHECK(registry.find(idle->id()) == idle);

  // The fake clock: two seconds later.
  const auto later = Session::Clock::now() + 2s;
  CHECK(registry.expire_idle(later) == 1);
  CHECK(idle->ended());
  CHECK(registry.find(idle->id()) == nullptr);
  CHECK_FALSE(legacy->ended());
  CHECK(registry.find(legacy->id()) == legacy);
  CHECK_FALSE(streaming->ended());
  CHECK(registry.find(streaming->id()) == streaming);
  CHECK(registry.counts().streamable_http == 1);
  CHECK(registry.counts().legacy_sse == 1);

  // Once the stream writer goes away the session becomes expirable.
  streams_of(*streaming).session_stream()->detach(gen);
  CHECK(registry.expire_idle(Session::Clock::now() + 2s) == 1);
  CHECK(streaming->ended());
  CHECK(registry.counts().streamable_http == 0);
}

TEST_CASE("SessionRegistry::active_since counts the sessions used since then or busy now") {
  SessionRegistry registry(registry_options());
  auto quiet = registry.create(Transport::streamable_http, context());
  auto streaming = registry.create(Transport::streamable_http, context());
  auto legacy = registry.create(Transport::legacy_sse, context());
  REQUIRE(quiet);
  REQUIRE(streaming);
  REQUIRE(legacy);
  const auto gen = streams_of(*streaming).session_stream()->attach();  // a GET stream is open
  const auto legacy_gen = streams_of(*legacy).session_stream()->attach();  // its one stream

  // Every session was just created: all active in the last minute.
  CHECK(registry.active_since(Session::Clock::now() - 60s) == 3);
  // Seen from a second ahead (the fake clock), only the busy ones: their streams are open.
  CHECK(registry.active_since(Session::Clock::now() + 1s) == 2);
  streams_of(*streaming).session_stream()->detach(gen);
  CHECK(registry.active_since(Session::Clock::now() + 1s) == 1);
  streams_of(*legacy).session_stream()->detach(legacy_gen);
  CHECK(registry.active_since(Session::Clock::now() + 1s) == 0);
  // Open all the same, until the TTL or a DELETE.
  CHECK(registry.counts().total() == 3);
  // A request (a lookup by id) makes a session active again.
  std::this_thread::sleep_for(5ms);
  const auto touched = Session::Clock::now();
  REQUIRE(registry.find(quiet->id()));
  CHECK(registry.active_since(touched) == 1);
}

TEST_CASE("SessionRegistry: find() counts as activity") {
  auto o = registry_options();
  o.idle_ttl = 2s;
  SessionRegistry registry(o);
  auto s = registry.create(Transport::streamable_http, context());
  REQUIRE(s);
  const auto before = s->last_active();
  std::this_thread::sleep_for(20ms);
  REQUIRE(registry.find(s->id()));
  CHECK(s->last_active() > before);
  // One second after the touch the session is not idle (ttl 2 s).
  CHECK(registry.expire_idle(s->last_active() + 1s) == 0);
  CHECK(registry.expire_idle(s->last_active() + 3s) == 1);
}

TEST_CASE("SessionRegistry: an ended session is not found") {
  SessionRegistry registry(registry_options());
  auto s = registry.create(Transport::streamable_http, context());
  REQUIRE(s);
  s->end();
  CHECK(registry.find(s->id()) == nullptr);
}

TEST_CASE("SessionRegistry::end_all ends every session") {
  SessionRegistry registry(registry_options());
  std::vector<std::shared_ptr<Session>> all;
  for (int i = 0; i < 4; ++i)
    all.push_back(registry.create(i % 2 ? Transport::legacy_sse : Transport::streamable_http, context()));
  registry.end_all();
  for (const auto& s : all) {
    CHECK(s->ended());
    CHECK(registry.find(s->id()) == nullptr);
  }
  CHECK(registry.counts().total() == 0);
  // The registry is still usable afterwards.
  CHECK(registry.create(Transport::streamable_http, context()) != nullptr);
}

TEST_CASE("SessionRegistry: the destructor ends the sessions still registered") {
  std::shared_ptr<Session> s;
  {
    SessionRegistry registry(registry_options());
    s = registry.create(Transport::legacy_sse, context());
    REQUIRE(s);
  }
  CHECK(s->ended());
}

TEST_CASE("SessionRegistry: the background reaper expires idle sessions") {
  auto o = registry_options();
  o.idle_ttl = 0s;  // idle at once
  SessionRegistry registry(o);
  auto s = registry.create(Transport::streamable_http, context());
  auto legacy = registry.create(Transport::legacy_sse, context());
  REQUIRE(s);
  registry.start_reaper(10ms);
  registry.start_reaper(10ms);  // a second start is harmless
  CHECK(eventually([&] { return s->ended(); }));
  CHECK_FALSE(legacy->ended());
  CHECK(registry.counts().streamable_http == 0);
}

TEST_CASE("SessionRegistry: concurrent create/find/remove from many threads") {
  auto o = registry_options();
  o.max_sessions = 100000;
  SessionRegistry registry(o);
  registry.start_reaper(1ms);  // runs expire_idle concurrently (nothing is idle: ttl 1 h)

  constexpr int threads = 8;
  constexpr int iterations = 300;
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < iterations; ++i) {
        const auto transport = (i + t) % 2 ? Transport::legacy_sse : Transport::streamable_http;
        auto s = registry.create(transport, context());
        if (!s) {
          failures.fetch_add(1);
          continue;
        }
        if (registry.find(s->id()) != s) failures.fetch_add(1);
        if (!s->initialize({"2025-11-25", {}, {}})) failures.fetch_add(1);
        if (!registry.remove(s->id())) failures.fetch_add(1);
        if (registry.find(s->id()) != nullptr) failures.fetch_add(1);
        if (registry.remove(s->id())) failures.fetch_add(1);
        if (!s->ended()) failures.fetch_add(1);
      }
    });
  std::thread observer([&] {
    while (!stop.load()) {
      const auto c = registry.counts();
      if (c.total() > static_cast<std::size_t>(threads)) failures.fetch_add(1);
      (void)registry.expire_idle(Session::Clock::now());
    }
  });
  for (auto& t : pool) t.join();
  stop = true;
  observer.join();

  CHECK(failures.load() == 0);
  CHECK(registry.counts().total() == 0);
}

TEST_CASE("SessionRegistry: concurrent lookups of shared sessions while others are removed") {
  SessionRegistry registry(registry_options());
  std::vector<std::shared_ptr<Session>> shared;
  for (int i = 0; i < 20; ++i) shared.push_back(registry.create(Transport::streamable_http, context()));
  std::atomic<int> misses{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const auto& s = shared[static_cast<std::size_t>((i + t) % 10)];  // 0..9 stay
        if (registry.find(s->id()) != s) misses.fetch_add(1);
        s->touch();
        (void)s->log_level();
      }
    });
  std::thread remover([&] {
    for (int i = 10; i < 20; ++i) (void)registry.remove(shared[static_cast<std::size_t>(i)]->id());
  });
  for (auto& t : pool) t.join();
  remover.join();
  CHECK(misses.load() == 0);
  CHECK(registry.counts().total() == 10);
}

// ---------------------------------------------------------------------------------------------
// Session

TEST_CASE("Session: initialize happens once") {
  auto s = plain_session();
  CHECK_FALSE(s.initialized());
  CHECK(s.protocol_version().empty());
  Session::Negotiated n;
  n.protocol_version = "2025-06-18";
  n.client_capabilities = {{"sampling", nlohmann::json::object()}};
  CHECK(s.initialize(n));
  CHECK(s.initialized());
  CHECK(s.protocol_version() == "2025-06-18");

  Session::Negotiated other;
  other.protocol_version = "2025-11-25";
  CHECK_FALSE(s.initialize(other));
  CHECK(s.protocol_version() == "2025-06-18");  // the first negotiation stands
  CHECK(s.client_supports("sampling"));

  CHECK_FALSE(s.client_ready());
  s.mark_client_ready();
  CHECK(s.client_ready());
}

TEST_CASE("Session: client_supports reflects the declared capabilities") {
  auto s = plain_session();
  CHECK_FALSE(s.client_supports("sampling"));  // before initialize
  Session::Negotiated n;
  n.protocol_version = "2025-11-25";
  n.client_capabilities = {{"sampling", nlohmann::json::object()},
                           {"roots", {{"listChanged", true}}},
                           {"elicitation", nullptr},
                           {"experimental", false}};
  REQUIRE(s.initialize(n));
  CHECK(s.client_supports("sampling"));
  CHECK(s.client_supports("roots"));
  CHECK_FALSE(s.client_supports("elicitation"));
  CHECK_FALSE(s.client_supports("experimental"));
  CHECK_FALSE(s.client_supports("tasks"));
  CHECK_FALSE(s.client_supports(""));
}

TEST_CASE("Session: log level defaults to debug and can be changed") {
  auto s = plain_session();
  CHECK(s.log_level() == tools::LogLevel::debug);
  s.set_log_level(tools::LogLevel::warning);
  CHECK(s.log_level() == tools::LogLevel::warning);
}

TEST_CASE("Session: the session stream depends on the transport") {
  auto http = plain_session(Transport::streamable_http);
  auto legacy = plain_session(Transport::legacy_sse);
  REQUIRE(streams_of(http).session_stream());
  REQUIRE(streams_of(legacy).session_stream());
  for (const auto* session : {&http, &legacy}) {
    const auto& main = streams_of(*session).session_stream();
    CHECK(streams_of(*session).find_stream(main->id()) == main);
  }

  // Streamable HTTP events carry ids (resumable); legacy SSE ones do not.
  http.notify(nlohmann::json{{"jsonrpc", "2.0"}, {"method", "x"}});
  legacy.notify(nlohmann::json{{"jsonrpc", "2.0"}, {"method", "x"}});
  const auto g1 = streams_of(http).session_stream()->attach();
  const auto g2 = streams_of(legacy).session_stream()->attach();
  const auto b1 = streams_of(http).session_stream()->wait(g1, 0, std::chrono::steady_clock::now() + 1s);
  const auto b2 = streams_of(legacy).session_stream()->wait(g2, 0, std::chrono::steady_clock::now() + 1s);
  REQUIRE(b1.frames.size() == 1);
  REQUIRE(b2.frames.size() == 1);
  CHECK(b1.frames[0]->find("\nid: ") != std::string::npos);
  CHECK(b2.frames[0]->find("id: ") == std::string::npos);
  CHECK(b1.frames[0]->find(R"("method":"x")") != std::string::npos);
}

TEST_CASE("Session::end closes every stream, cancels running requests and wakes reply waiters") {
  auto s = plain_session();
  Session::Negotiated n;
  n.protocol_version = "2025-11-25";
  REQUIRE(s.initialize(n));
  auto request_stream = streams_of(s).open_request_stream();
  auto main = streams_of(s).session_stream();
  const auto gen_req = request_stream->attach();
  const auto gen_main = main->attach();

  auto flag = admitted(s.inflight(), 17);
  CHECK_FALSE(flag->cancelled());

  auto expectation = s.replies().expect();
  std::optional<jsonrpc::Response> answer{jsonrpc::Response{}};
  std::chrono::steady_clock::duration waited{};
  std::thread waiter([&] {
    const auto t0 = std::chrono::steady_clock::now();
    answer = expectation.slot->wait_until(t0 + 20s);
    waited = std::chrono::steady_clock::now() - t0;
  });
  transport::EventStream::Batch main_batch, req_batch;
  std::thread writer([&] {
    main_batch = main->wait(gen_main, 0, std::chrono::steady_clock::now() + 20s);
  });
  std::this_thread::sleep_for(30ms);

  s.end();
  waiter.join();
  writer.join();

  CHECK(s.ended());
  CHECK_FALSE(answer.has_value());
  CHECK(expectation.slot->aborted());
  CHECK(waited < 10s);
  CHECK(main_batch.closed);
  req_batch = request_stream->wait(gen_req, 0, std::chrono::steady_clock::now() + 1s);
  CHECK(req_batch.closed);
  CHECK(flag->cancelled());
  CHECK_FALSE(main->push("message", "late"));

  // Idempotent, and streams opened afterwards are closed at once.
  s.end();
  auto late = streams_of(s).open_request_stream();
  REQUIRE(late);
  CHECK_FALSE(late->push("message", "x"));
  // A response arriving after the end finds nobody waiting.
  CHECK_FALSE(s.replies().deliver(jsonrpc::Response{expectation.id, nlohmann::json::object(), std::nullopt}));
}

TEST_CASE("ReplyRouter: a delivered response reaches its waiter; unknown ids are refused") {
  auto s = plain_session();
  auto e1 = s.replies().expect();
  auto e2 = s.replies().expect();
  CHECK(e1.id != e2.id);
  CHECK(jsonrpc::is_valid_id(e1.id));

  std::optional<jsonrpc::Response> got;
  std::thread waiter([&] { got = e1.slot->wait_until(std::chrono::steady_clock::now() + 20s); });
  CHECK(s.replies().deliver(jsonrpc::Response{e1.id, nlohmann::json{{"ok", 1}}, std::nullopt}));
  waiter.join();
  REQUIRE(got.has_value());
  REQUIRE(got->result.has_value());
  CHECK((*got->result)["ok"] == 1);

  // Delivered once only.
  CHECK_FALSE(s.replies().deliver(jsonrpc::Response{e1.id, nlohmann::json::object(), std::nullopt}));
  // Same number, different JSON type: not the same id.
  if (e2.id.is_number_integer())
    CHECK_FALSE(s.replies().deliver(
        jsonrpc::Response{nlohmann::json(std::to_string(e2.id.get<long long>())), nlohmann::json::object(), std::nullopt}));
  s.replies().forget(e2.id);
  CHECK_FALSE(s.replies().deliver(jsonrpc::Response{e2.id, nlohmann::json::object(), std::nullopt}));
  // Timeout without an answer.
  auto e3 = s.replies().expect();
  CHECK_FALSE(e3.slot->wait_until(std::chrono::steady_clock::now() + 20ms).has_value());
  CHECK_FALSE(e3.slot->aborted());
}

TEST_CASE("Session: concurrent use from several threads (streams, state, end)") {
  auto s = std::make_shared<Session>("sid", Transport::streamable_http, context(), sse_streams());
  Session::Negotiated n;
  n.protocol_version = "2025-11-25";
  REQUIRE(s->initialize(n));
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        auto st = streams_of(*s).open_request_stream();
        (void)st->push("message", "x");
        st->finish();
        (void)streams_of(*s).find_stream(st->id());
        if (i % 3 == 0) streams_of(*s).retire_stream(st->id());
        s->set_log_level(static_cast<tools::LogLevel>((i + t) % 8));
        (void)s->log_level();
        (void)s->client_supports("sampling");
        s->notify(nlohmann::json{{"jsonrpc", "2.0"}, {"method", "n"}});
        if (std::holds_alternative<protocol::CancelFlag>(
                s->inflight().begin(nlohmann::json(t * 100000 + i))))
          s->inflight().end(nlohmann::json(t * 100000 + i));
        s->touch();
        ++i;
      }
    });
  std::this_thread::sleep_for(100ms);
  s->end();
  std::this_thread::sleep_for(20ms);
  stop = true;
  for (auto& t : pool) t.join();
  CHECK(s->ended());
  CHECK(s->inflight().size() == 0);
}
