// mcpgate-loadgen: drives an MCP server over HTTP from one process and one thread (epoll), and
// prints each workload's figures as one JSON line on stdout. It judges nothing: bench/run.sh
// collects the lines and writes the tables.
//
//   loadgen sessions --url http://127.0.0.1:8051/sse --sessions 10000 [--pid PID]
//   loadgen calls    --url http://127.0.0.1:8051/mcp --connections 16 --seconds 10
//   loadgen herd     --url http://127.0.0.1:8051/mcp --clients 1000
//   loadgen forward  --url http://127.0.0.1:8051/mcp --backend http://127.0.0.1:9000 --connections 1
//   loadgen seed     --url http://127.0.0.1:8051/mcp --projects 20 --tasks 2000
#include "workloads.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <iostream>

namespace {

// Thousands of sockets: take the whole open-files allowance.
void raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace loadgen;
  CLI::App app{"mcpgate-loadgen: MCP load generator (one thread, epoll); prints one JSON line per run"};
  app.require_subcommand(1);

  std::string url, backend, label, tool = "session_info", arguments = "{}";
  SessionsOptions sessions;
  CallsOptions calls;
  HerdOptions herd;
  ForwardOptions forward;
  SeedOptions seed;
  double seconds = 5, warmup = 0;
  int timeout = 180;

  auto* s = app.add_subcommand("sessions", "N legacy HTTP+SSE sessions at once; each initialises and calls a tool");
  s->add_option("--url", url, "the server's SSE URL, e.g. http://127.0.0.1:8051/sse")->required();
  s->add_option("--sessions", sessions.sessions, "sessions to open")->capture_default_str();
  s->add_option("--open-window", sessions.open_window, "streams being opened at once")->capture_default_str();
  s->add_option("--call-window", sessions.call_window, "sessions initialising/calling at once")->capture_default_str();
  s->add_option("--post-connections", sessions.post_connections, "keep-alive connections for the POSTs")->capture_default_str();
  s->add_flag("--streams-close", sessions.streams_close,
              "each stream's GET says Connection: close (a client agent with keep-alive off)");
  s->add_option("--pid", sessions.server_pid, "the server's process id, for its RSS");
  s->add_option("--tool", tool, "the tool to call")->capture_default_str();
  s->add_option("--timeout", timeout, "seconds allowed for each phase")->capture_default_str();
  int hold = 0;
  s->add_option("--hold", hold, "seconds to keep the sessions open after the readings (to inspect the server)");

  auto* c = app.add_subcommand("calls", "one Streamable HTTP session, C connections calling a tool in a closed loop");
  c->add_option("--url", url, "the server's MCP URL, e.g. http://127.0.0.1:8051/mcp")->required();
  c->add_option("--connections", calls.connections, "concurrent connections")->capture_default_str();
  c->add_option("--seconds", seconds, "measured time")->capture_default_str();
  c->add_option("--warmup", warmup, "seconds of load before measuring")->capture_default_str();
  c->add_option("--tool", tool, "the tool to call")->capture_default_str();
  c->add_option("--arguments", arguments, "the tool's arguments (JSON)")->capture_default_str();
  c->add_option("--pid", calls.server_pid, "the server's process id, for its CPU time per call");
  c->add_option("--database-pid", calls.database_pid,
                "a database server's main process id (PostgreSQL's postmaster), for the CPU time per "
                "call of it and its children");
  c->add_flag("--without-session", calls.without_session,
              "send the calls without initialising (for a bare HTTP server answering fixed bytes)");
  c->add_flag("--require-success", calls.require_success,
              "count a tool answer saying \"success\": false (an Archon tool's failure) as an error");
  c->add_flag("--modern", calls.modern,
              "stateless MCP 2026-07-28 calls: per-request _meta and headers, no session");

  auto* h = app.add_subcommand("herd", "N first clients at once while the server starts up");
  h->add_option("--url", url, "the server's MCP URL")->required();
  h->add_option("--clients", herd.clients, "clients")->capture_default_str();
  h->add_option("--tool", tool, "the tool each client calls")->capture_default_str();
  h->add_option("--timeout", timeout, "seconds allowed")->capture_default_str();

  auto* f = app.add_subcommand("forward", "added latency of a backend tool over calling the backend directly");
  f->add_option("--url", url, "the server's MCP URL")->required();
  f->add_option("--backend", backend, "the stub backend's URL")->required();
  f->add_option("--connections", forward.connections, "concurrent callers")->capture_default_str();
  f->add_option("--seconds", seconds, "measured time, each of direct and through the server")->capture_default_str();
  f->add_option("--warmup", warmup, "seconds of load before measuring")->capture_default_str();
  f->add_option("--pid", forward.server_pid, "the server's process id, for its CPU time per call");
  f->add_option("--backend-pid", forward.backend_pid, "the stub's process id, for its CPU time per call");

  auto* d = app.add_subcommand("seed", "P projects and T tasks created through manage_project and manage_task");
  d->add_option("--url", url, "the server's MCP URL")->required();
  d->add_option("--projects", seed.projects, "projects to create")->capture_default_str()->check(CLI::PositiveNumber);
  d->add_option("--tasks", seed.tasks, "tasks to create, spread evenly over the projects")->capture_default_str();
  d->add_option("--connections", seed.connections, "callers creating tasks at once")->capture_default_str()->check(CLI::PositiveNumber);
  d->add_option("--timeout", timeout, "seconds allowed for the tasks")->capture_default_str();

  for (auto* sub : {s, c, h, f, d})
    sub->add_option("--label", label, "copied into the output line (e.g. the server's name)");

  CLI11_PARSE(app, argc, argv);
  raise_open_files_limit();

  try {
    json out;
    if (s->parsed()) {
      sessions.url = parse_url(url);
      sessions.tool = tool;
      sessions.timeout = std::chrono::seconds(timeout);
      sessions.hold = std::chrono::seconds(hold);
      out = run_sessions(sessions);
    } else if (c->parsed()) {
      calls.url = parse_url(url);
      calls.tool = tool;
      calls.arguments = json::parse(arguments);
      calls.duration = seconds_to_ms(seconds);
      calls.warmup = seconds_to_ms(warmup);
      out = run_calls(calls);
    } else if (h->parsed()) {
      herd.url = parse_url(url);
      herd.tool = tool;
      herd.timeout = std::chrono::seconds(timeout);
      out = run_herd(herd);
    } else if (d->parsed()) {
      seed.url = parse_url(url);
      seed.timeout = std::chrono::seconds(timeout);
      out = run_seed(seed);
    } else {
      forward.url = parse_url(url);
      forward.backend = parse_url(backend);
      forward.duration = seconds_to_ms(seconds);
      forward.warmup = seconds_to_ms(warmup);
      out = run_forward(forward);
    }
    if (!label.empty()) out["label"] = label;
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return 1;
  }
}
