// The sessions workload: N legacy HTTP+SSE sessions open at once.
#include "closed_loop.hpp"
#include "latencies.hpp"
#include "mcp_requests.hpp"
#include "workloads.hpp"

#include <cstdio>
#include <deque>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace loadgen {

namespace {

// The POST URL an endpoint event names: absolute URL, absolute path, or a path relative to the
// stream's own URL (mcpgate sends "messages?sessionId=...", prefix-safe behind a proxy).
std::string resolve_endpoint(const Url& stream, std::string_view data) {
  if (data.rfind("http://", 0) == 0 || data.rfind("https://", 0) == 0) {
    const auto slash = data.find('/', data.find("//") + 2);
    return slash == std::string_view::npos ? std::string("/") : std::string(data.substr(slash));
  }
  if (!data.empty() && data.front() == '/') return std::string(data);
  return stream.path.substr(0, stream.path.rfind('/') + 1) + std::string(data);
}

// A few keep-alive connections that carry every session's POSTs, one at a time each: a legacy
// client's POSTs need no connection of their own, and 10,000 of them would exhaust descriptors.
class PostPool {
 public:
  using Done = std::function<void(const Response*, const std::string& error)>;

  PostPool(Loop& loop, const Url& url, int size) {
    for (int i = 0; i < size; ++i) {
      auto slot = std::make_unique<Slot>();
      Slot* self = slot.get();
      slot->connection = std::make_unique<Connection>(
          loop, url.address,
          Connection::Handlers{nullptr, nullptr,
                               [this, self](Response& response) { finish(*self, &response, {}); },
                               [this, self](const std::string& why) { finish(*self, nullptr, why); }});
      slots_.push_back(std::move(slot));
    }
  }

  void post(std::string request, Done done) {
    queue_.push_back(Item{std::move(request), std::move(done)});
    dispatch();
  }

  void close() {
    for (auto& slot : slots_) slot->connection->close();
  }

 private:
  struct Item {
    std::string request;
    Done done;
  };
  struct Slot {
    std::unique_ptr<Connection> connection;
    Done done;
    bool busy = false;
  };

  void dispatch() {
    for (auto& slot : slots_) {
      if (queue_.empty()) return;
      if (slot->busy) continue;
      Item item = std::move(queue_.front());
      queue_.pop_front();
      slot->busy = true;
      slot->done = std::move(item.done);
      slot->connection->send(item.request);
    }
  }

  void finish(Slot& slot, const Response* response, const std::string& error) {
    slot.busy = false;
    Done done = std::move(slot.done);
    if (done) done(response, error);
    dispatch();
  }

  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<Item> queue_;
};

}  // namespace

json run_sessions(const SessionsOptions& options) {
  const auto health_before = server_health(options.url);
  if (!health_before) throw std::runtime_error("the server's /health does not answer");
  const long long rss_before = rss_bytes(options.server_pid);

  enum class State { waiting, opening, open, calling, called, failed };
  struct Session {
    std::unique_ptr<Connection> stream;
    State state = State::waiting;
    std::string post_path;
    Clock::time_point call_sent;
  };

  Loop loop;
  PostPool posts(loop, options.url, options.post_connections);
  std::vector<Session> sessions(static_cast<std::size_t>(options.sessions));
  Latencies endpoint_latency;  // from the start to each endpoint event
  Latencies call_latency;      // tools/call POST sent -> its response event
  long long open_failures = 0, call_failures = 0, lost_streams = 0;
  long long opening = 0, opened = 0, next_to_open = 0;
  long long calling = 0, called = 0, next_to_call = 0;
  long long posts_answered = 0;  // POSTs of the calls phase with their HTTP answer
  std::string first_error;
  const auto start = Clock::now();
  auto note_error = [&](const std::string& why) {
    if (first_error.empty()) first_error = why;
  };

  std::string open_request = get_request(options.url, options.url.path, "text/event-stream");
  if (options.streams_close) open_request.insert(open_request.size() - 2, "Connection: close\r\n");
  std::function<void()> open_more;
  std::function<void()> call_more;

  auto fail_session = [&](Session& s, const std::string& why) {
    note_error(why);
    if (s.state == State::opening) {
      --opening;
      ++open_failures;
      s.state = State::failed;
      open_more();
    } else if (s.state == State::calling) {
      --calling;
      ++call_failures;
      s.state = State::failed;
      call_more();
    } else if (s.state == State::open || s.state == State::called) {
      ++lost_streams;
      s.state = State::failed;
    }
    s.stream->close();
  };

  // Every session sends the same three bodies: built once (building them per session cost the
  // load generator a tenth of its CPU, taken from the server it measures on the same cores).
  const std::string initialize = initialize_body(1);
  const std::string initialized = initialized_body();
  const std::string tool_call = tool_call_body(2, options.tool, json::object());
  auto post_checked = [&](Session& s, const std::string& body, std::function<void()> then) {
    Session* self = &s;
    posts.post(post_request(options.url, s.post_path, body),
               [&, self, then = std::move(then)](const Response* response, const std::string& error) {
                 if (response) ++posts_answered;
                 if (self->state != State::calling) return;
                 if (!response) return fail_session(*self, "POST: " + error);
                 if (response->status / 100 != 2)
                   return fail_session(*self, "POST: HTTP " + std::to_string(response->status));
                 if (then) then();
               });
  };

  for (auto& session : sessions) {
    Session* self = &session;
    session.stream = std::make_unique<Connection>(
        loop, options.url.address,
        Connection::Handlers{
            [&, self](const Response& head) {
              if (head.status != 200) fail_session(*self, "GET /sse: HTTP " + std::to_string(head.status));
            },
            [&, self](const SseEvent& event) {
              Session& s = *self;
              if (event.event == "endpoint" && s.state == State::opening) {
                s.post_path = resolve_endpoint(options.url, event.data);
                s.state = State::open;
                --opening;
                ++opened;
                endpoint_latency.add(Clock::now() - start);
                open_more();
                return;
              }
              if (event.event != "message" || s.state != State::calling) return;
              const auto message = rpc_head(event.data);
              if (!message || !message->id) return;
              if (message->has_error)
                return fail_session(s, "JSON-RPC error: " + event.data.substr(0, 200));
              if (*message->id == 1) {
                post_checked(s, initialized, [&, self] {
                  self->call_sent = Clock::now();
                  post_checked(*self, tool_call, nullptr);
                });
              } else if (*message->id == 2) {
                if (!is_successful_tool_result(event.data))
                  return fail_session(s, "tools/call: " + event.data.substr(0, 200));
                call_latency.add(Clock::now() - s.call_sent);
                s.state = State::called;
                --calling;
                ++called;
                call_more();
              }
            },
            [&, self](Response& response) {  // the stream ended
              fail_session(*self, "the stream ended (HTTP " + std::to_string(response.status) + ")");
            },
            [&, self](const std::string& why) { fail_session(*self, "stream: " + why); },
        });
  }

  open_more = [&] {
    while (opening < options.open_window && next_to_open < options.sessions) {
      Session& s = sessions[static_cast<std::size_t>(next_to_open++)];
      s.state = State::opening;
      ++opening;
      s.stream->send(open_request);
    }
  };
  call_more = [&] {
    while (calling < options.call_window && next_to_call < options.sessions) {
      Session& s = sessions[static_cast<std::size_t>(next_to_call++)];
      if (s.state != State::open) continue;
      s.state = State::calling;
      ++calling;
      post_checked(s, initialize, nullptr);
    }
  };

  // 1. Open every stream.
  const double cpu_before = process_cpu_seconds();
  open_more();
  loop.run_until([&] { return opened + open_failures == options.sessions; }, start + options.timeout);
  const double open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double open_cpu = process_cpu_seconds() - cpu_before;
  for (auto& s : sessions)
    if (s.state == State::waiting || s.state == State::opening) {
      if (s.state == State::waiting) {
        s.state = State::opening;
        ++opening;
      }
      fail_session(s, "no endpoint event within the timeout");
    }

  // Every stream open, no call made yet: the server's memory for open, idle streams.
  loop.run_for(std::chrono::seconds(1));
  const long long rss_streams = rss_bytes(options.server_pid);

  // 2. Each open session initialises and calls the tool once.
  const auto call_start = Clock::now();
  const double call_cpu_before = process_cpu_seconds();
  const double server_call_cpu_before =
      options.server_pid > 0 ? process_cpu_seconds(options.server_pid) : -1;
  call_more();
  loop.run_until([&] { return called + call_failures >= opened - lost_streams; },
                 call_start + options.timeout);
  const double call_seconds = std::chrono::duration<double>(Clock::now() - call_start).count();
  const double call_cpu = process_cpu_seconds() - call_cpu_before;
  // The server's CPU time for the calls phase, per POST answered: what each costs it.
  const double server_call_cpu =
      server_call_cpu_before >= 0 ? process_cpu_seconds(options.server_pid) - server_call_cpu_before : -1;
  for (auto& s : sessions)
    if (s.state == State::calling) fail_session(s, "no answer to the call within the timeout");

  // 3. Every session open and idle: the server's memory and its own count.
  loop.run_for(std::chrono::seconds(2));
  const long long rss_open = rss_bytes(options.server_pid);
  const auto health_open = server_health(options.url);
  long long still_open = 0;
  for (const auto& s : sessions)
    if (s.state == State::called || s.state == State::open) ++still_open;

  if (options.hold.count() > 0) {
    std::fprintf(stderr, "loadgen: sessions open and idle for %lld s\n", static_cast<long long>(options.hold.count()));
    loop.run_for(options.hold);
  }

  // 4. Close them all; the server should drop every session.
  for (auto& s : sessions) s.stream->close();
  posts.close();
  const auto close_start = Clock::now();
  std::optional<ServerHealth> health_after;
  for (;;) {
    health_after = server_health(options.url);
    if ((health_after && health_after->sessions <= health_before->sessions) ||
        Clock::now() - close_start > std::chrono::seconds(30))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double drain_seconds = std::chrono::duration<double>(Clock::now() - close_start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long long rss_after = rss_bytes(options.server_pid);

  const long long errors = open_failures + call_failures + lost_streams;
  json out{{"workload", "sessions"},
           {"sessions", options.sessions},
           {"opened", opened},
           {"called", called},
           {"errors", errors},
           {"first_error", first_error},
           {"open_seconds", open_seconds},
           {"opens_per_second", open_seconds > 0 ? static_cast<double>(opened) / open_seconds : 0.0},
           {"loadgen_cpu_percent_open", open_seconds > 0 ? 100.0 * open_cpu / open_seconds : 0.0},
           {"endpoint_p50_ms", endpoint_latency.percentile(50) / 1000.0},
           {"tool", options.tool},
           {"call_window", options.call_window},
           {"post_connections", options.post_connections},
           {"call_seconds", call_seconds},
           {"posts", posts_answered},
           {"posts_per_second", call_seconds > 0 ? static_cast<double>(posts_answered) / call_seconds : 0.0},
           {"call_p50_us", call_latency.percentile(50)},
           {"call_p99_us", call_latency.percentile(99)},
           {"loadgen_cpu_percent_calls", call_seconds > 0 ? 100.0 * call_cpu / call_seconds : 0.0},
           {"sessions_idle_open", still_open},
           {"server_sessions_open", health_open ? health_open->sessions : -1},
           {"server_sessions_after", health_after ? health_after->sessions : -1},
           {"drain_seconds", drain_seconds},
           {"rss_before_bytes", rss_before},
           {"rss_streams_bytes", rss_streams},
           {"rss_open_bytes", rss_open},
           {"rss_after_bytes", rss_after}};
  if (server_call_cpu >= 0 && posts_answered > 0)
    out["server_cpu_us_per_post"] = 1e6 * server_call_cpu / static_cast<double>(posts_answered);
  if (options.server_pid > 0 && opened > 0)
    out["rss_per_stream_bytes"] =
        static_cast<double>(rss_streams - rss_before) / static_cast<double>(opened);
  if (options.server_pid > 0 && still_open > 0)
    out["rss_per_idle_session_bytes"] =
        static_cast<double>(rss_open - rss_before) / static_cast<double>(still_open);
  return out;
}

}  // namespace loadgen
