// C keep-alive connections, each sending its next request as soon as the previous answer is
// complete, for a fixed time: the throughput and latency of a request kind.
#pragma once

#include "http_client.hpp"
#include "latencies.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace loadgen {

// Whether text (a JSON body or an event's data) is a JSON-RPC result that is not a tool error.
bool is_good_result(std::string_view text);
// The same, and the tool's own answer does not say "success": false: the Archon tools report
// their failures (a backend's 404, a validation error) that way, not with isError.
bool is_successful_tool_result(std::string_view text);

struct ClosedLoopResult {
  Latencies latencies;   // answers completed inside the measured window
  long long ok = 0;
  long long errors = 0;
  double seconds = 0;    // the measured window
  double cpu_seconds = 0;  // the load generator's own CPU time in the window
  double server_cpu_seconds = -1;  // the server's (ClosedLoopOptions::server_pid), -1: not measured
  double database_cpu_seconds = -1;  // the database's (ClosedLoopOptions::database_pid), -1: not measured
  std::string first_error;
};

struct ClosedLoopOptions {
  int connections = 1;
  std::chrono::milliseconds warmup{0};
  std::chrono::milliseconds duration{5000};
  // The request to send; `sequence` is unique over the run (for JSON-RPC ids).
  std::function<std::string(long long sequence)> request;
  // Whether an answer is a success: its response, and for an event stream whether one of its
  // events carried a result that is not a tool error (as `good_event` judges it).
  std::function<bool(const Response&, bool result_event)> accept;
  // Whether an event's data is a good result (is_good_result, or is_successful_tool_result).
  std::function<bool(std::string_view)> good_event = is_good_result;
  // The process answering (on this machine), whose CPU time in the window is reported; 0: none.
  int server_pid = 0;
  // A database server's main process, whose CPU time in the window together with that of its
  // children (one per client connection, for PostgreSQL) is reported; 0: none.
  int database_pid = 0;
};

ClosedLoopResult closed_loop(const Url& url, const ClosedLoopOptions& options);

// CPU time this process has used so far (user + system), in seconds.
double process_cpu_seconds();
// The same for another process, from /proc (clock-tick resolution); -1 when it cannot be read.
double process_cpu_seconds(int pid);
// The same for a process and its children (those alive at the reading); -1 when the process's
// own time cannot be read.
double process_tree_cpu_seconds(int pid);

// The usual `accept`: HTTP 200 and a JSON-RPC result that is not a tool error, in the body or
// in an event.
bool accept_rpc_result(const Response& response, bool result_event);
// The `accept` for Archon tools: is_successful_tool_result in the body or an event.
bool accept_successful_tool_result(const Response& response, bool result_event);

}  // namespace loadgen
