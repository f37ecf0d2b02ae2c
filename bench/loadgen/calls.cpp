// The calls and forward workloads: closed loops of tools/call on one Streamable HTTP session.
#include "closed_loop.hpp"
#include "mcp_requests.hpp"
#include "workloads.hpp"

#include <stdexcept>

namespace loadgen {

namespace {

json loop_figures(ClosedLoopResult& r) {
  json figures{{"calls", r.ok},
              {"errors", r.errors},
              {"calls_per_second", r.seconds > 0 ? static_cast<double>(r.ok) / r.seconds : 0.0},
              {"p50_us", r.latencies.percentile(50)},
              {"p99_us", r.latencies.percentile(99)},
              {"loadgen_cpu_percent", r.seconds > 0 ? 100.0 * r.cpu_seconds / r.seconds : 0.0},
              {"first_error", r.first_error}};
  if (r.server_cpu_seconds >= 0 && r.ok > 0) {
    figures["server_cpu_percent"] = r.seconds > 0 ? 100.0 * r.server_cpu_seconds / r.seconds : 0.0;
    figures["server_cpu_us_per_call"] = 1e6 * r.server_cpu_seconds / static_cast<double>(r.ok);
  }
  if (r.database_cpu_seconds >= 0 && r.ok > 0)
    figures["database_cpu_us_per_call"] = 1e6 * r.database_cpu_seconds / static_cast<double>(r.ok);
  return figures;
}

// tools/call `tool` with `arguments` over `session` (or statelessly in the 2026-07-28 era when
// `modern`), in a closed loop on C connections.
ClosedLoopResult call_loop(const Url& url, const std::string& session, int connections,
                           std::chrono::milliseconds warmup, std::chrono::milliseconds duration,
                           const std::string& tool, const json& arguments, int server_pid,
                           bool modern = false, int database_pid = 0, bool require_success = false) {
  ClosedLoopOptions loop;
  loop.server_pid = server_pid;
  loop.database_pid = database_pid;
  loop.connections = connections;
  loop.warmup = warmup;
  loop.duration = duration;
  // The body is the same for every call but its id: build it once around the id.
  const std::string marker = "\"__id__\"";
  const std::string body =
      modern ? modern_tool_call_body("__id__", tool, arguments) : tool_call_body("__id__", tool, arguments);
  const auto at = body.find(marker);
  const std::string before = body.substr(0, at), after = body.substr(at + marker.size());
  if (modern) {
    loop.request = [&url, &tool, before, after](long long sequence) {
      return modern_post_request(url, url.path, before + std::to_string(sequence + 2) + after, tool);
    };
  } else {
    loop.request = [&url, &session, before, after](long long sequence) {
      return post_request(url, url.path, before + std::to_string(sequence + 2) + after, session);
    };
  }
  loop.accept = require_success ? accept_successful_tool_result : accept_rpc_result;
  if (require_success) loop.good_event = is_successful_tool_result;
  return closed_loop(url, loop);
}

}  // namespace

json run_calls(const CallsOptions& options) {
  const std::string session = options.without_session || options.modern
                                  ? std::string("baseline-no-session")
                                  : start_session(options.url);
  auto result = call_loop(options.url, session, options.connections, options.warmup,
                          options.duration, options.tool, options.arguments, options.server_pid,
                          options.modern, options.database_pid, options.require_success);
  json out = loop_figures(result);
  out["workload"] = options.modern ? "modern_calls" : "calls";
  out["tool"] = options.tool;
  out["connections"] = options.connections;
  return out;
}

json run_forward(const ForwardOptions& options) {
  auto backend_connections = [&]() -> long long {
    const auto got = fetch(options.backend, get_request(options.backend, "/stats", "application/json"),
                           std::chrono::seconds(5));
    const auto body = json::parse(got.response.body, nullptr, false);
    if (!got.error.empty() || !body.is_object())
      throw std::runtime_error("the stub backend's /stats did not answer");
    return body.value("connections", 0LL);
  };

  // Direct: the same backend request the tool makes, from C callers.
  ClosedLoopOptions direct;
  direct.connections = options.connections;
  direct.warmup = options.warmup;
  direct.duration = options.duration;
  direct.server_pid = options.backend_pid;
  const std::string path = "/api/projects/" + options.project_id;
  const std::string request = get_request(options.backend, path, "application/json");
  direct.request = [&request](long long) { return request; };
  direct.accept = [](const Response& response, bool) { return response.status == 200; };
  auto direct_result = closed_loop(options.backend, direct);

  // Through the server: every backend connection it opens from here on (its first health probe
  // at start-up included) is counted.
  const long long connections_before = backend_connections();
  const std::string session = start_session(options.url);
  // An Archon tool reports a failed backend request inside a good result ("success": false):
  // such an answer is an error here, or a server failing fast would look fast.
  auto via_result = call_loop(options.url, session, options.connections, options.warmup,
                              options.duration, "find_projects",
                              json{{"project_id", options.project_id}}, options.server_pid,
                              /*modern=*/false, /*database_pid=*/0, /*require_success=*/true);
  // The fetch of /stats itself is one more connection to the stub: not the server's.
  const long long connections_after = backend_connections() - 1;

  const double direct_p50 = direct_result.latencies.percentile(50);
  const double via_p50 = via_result.latencies.percentile(50);
  return json{{"workload", "forward"},
              {"connections", options.connections},
              {"direct", loop_figures(direct_result)},
              {"via", loop_figures(via_result)},
              {"added_p50_us", via_p50 - direct_p50},
              {"added_p99_us", via_result.latencies.percentile(99) - direct_result.latencies.percentile(99)},
              {"backend_connections_opened", connections_after - connections_before},
              {"errors", direct_result.errors + via_result.errors}};
}

}  // namespace loadgen
