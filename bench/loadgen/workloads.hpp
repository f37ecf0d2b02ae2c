// The benchmark workloads. Each runs against one server and returns its figures as a JSON object
// (one line of the run's results); none of them judges the figures.
#pragma once

#include "http_client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace loadgen {

using json = nlohmann::json;

// sessions: N legacy HTTP+SSE sessions open at once; each initialises and calls `tool` once.
// Reports the time until every endpoint event arrived, the call latencies and the calls phase's
// POSTs per second, the server's RSS before, with every stream open (before the calls), with all
// sessions open and idle after their calls, and after they closed, and its own session count.
struct SessionsOptions {
  Url url;                  // the server's /sse URL
  int sessions = 1000;
  int open_window = 512;    // streams being opened at once (connect sent, no endpoint yet)
  int call_window = 64;     // sessions in their initialise/call exchange at once
  int post_connections = 64;
  // Each stream's GET says `Connection: close` (a client whose agent has keep-alive off).
  bool streams_close = false;
  int server_pid = 0;       // for RSS; 0: not measured
  std::string tool = "session_info";
  // Sessions kept open, idle, this long after the calls before they close (to inspect the
  // server by hand: /proc/PID/smaps, perf).
  std::chrono::seconds hold{0};
  std::chrono::seconds timeout{180};
};
json run_sessions(const SessionsOptions& options);

// calls: one Streamable HTTP session, C keep-alive connections each calling `tool` in a closed
// loop for a fixed time; calls/s and latency percentiles. With `modern`, no session: every call
// is a stateless 2026-07-28 request (its _meta and headers).
struct CallsOptions {
  Url url;  // the server's /mcp URL
  int connections = 1;
  std::chrono::milliseconds warmup{0};
  std::chrono::milliseconds duration{5000};
  std::string tool = "session_info";
  json arguments = json::object();
  // Send the calls without initialising a session first: for a bare HTTP server that answers
  // any POST with fixed bytes (the baseline), which then gets the very same requests.
  bool without_session = false;
  bool modern = false;
  int server_pid = 0;  // for the server's CPU time per call; 0: not measured
  // A database server the server uses (PostgreSQL's postmaster): the CPU time of it and its
  // children (the backends serving the server's pool) per call; 0: not measured.
  int database_pid = 0;
  // Count an answer whose tool answer says "success": false (how the Archon tools report a
  // failure) as an error too.
  bool require_success = false;
};
json run_calls(const CallsOptions& options);

// herd: N Streamable HTTP clients arrive at once at a server that has not started up yet (its
// first backend probe is slow); each initialises and calls `tool`. Reports how many were served,
// when the last one was, and how many times the server ran its initialisation.
struct HerdOptions {
  Url url;  // the server's /mcp URL
  int clients = 1000;
  std::string tool = "session_info";
  std::chrono::seconds timeout{60};
};
json run_herd(const HerdOptions& options);

// forward: the added latency of calling a backend tool through the server over calling the
// backend directly, with C concurrent callers, and the backend connections the server opened.
struct ForwardOptions {
  Url url;      // the server's /mcp URL
  Url backend;  // the stub backend (its /stats counts accepted connections)
  int connections = 1;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds duration{5000};
  std::string project_id = "p1";
  int server_pid = 0;   // for the CPU time per call of the server ...
  int backend_pid = 0;  // ... and of the stub backend; 0: not measured
};
json run_forward(const ForwardOptions& options);

// seed: P projects (manage_project create, one at a time) and T tasks spread evenly over them
// (manage_task create, C callers at once) over one Streamable HTTP session: the data the store
// workload's find_tasks calls read. Reports the project ids, and the time it took.
struct SeedOptions {
  Url url;  // the server's /mcp URL
  int projects = 20;
  long long tasks = 2000;
  int connections = 16;
  std::chrono::seconds timeout{300};
};
json run_seed(const SeedOptions& options);

}  // namespace loadgen
