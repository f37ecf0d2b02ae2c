// The server's counters and histograms, rendered in the Prometheus text format at /metrics.
//
// Counters are atomics or short-locked maps with bounded label sets (MCP method names outside
// the spec's list count as "other"; tool names are the registered tools'), so a client cannot
// grow memory by sending made-up names. Gauges (sessions, threads, init state) are read from
// their owners at scrape time and handed to render().
#pragma once

#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/protocol/methods.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpgate::server {

// Cumulative buckets of durations in seconds.
class Histogram {
 public:
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  void observe(std::chrono::nanoseconds took);
  // Appends NAME_bucket{LABELS,le=...}, NAME_sum and NAME_count lines.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Values owned elsewhere, read at scrape time (also what /health reports).
struct MetricsGauges {
  std::size_t sessions_streamable_http = 0;
  std::size_t sessions_legacy_sse = 0;
  std::size_t connection_threads = 0;
  std::size_t connection_threads_busy = 0;
  std::size_t request_threads = 0;
  std::size_t request_threads_busy = 0;
  std::uint64_t connections_rejected = 0;
  std::uint64_t connections_moved = 0;
  std::string init_state;  // idle, starting, ready, degraded, failed
  std::uint64_t init_runs = 0;
  double init_last_duration_seconds = 0;
  std::string init_last_error;  // empty unless the last initialisation failed
  double uptime_seconds = 0;
  std::uint64_t sse_events_queued = 0;
  std::uint64_t sse_events_dropped = 0;
  std::uint64_t sse_streams_overflowed = 0;
  std::size_t listen_streams = 0;  // subscriptions/listen streams open on this instance
  // Sessions ended by the server, and new ones refused (every open one busy at --max-sessions).
  std::uint64_t sessions_evicted = 0;
  std::uint64_t sessions_expired = 0;
  std::uint64_t sessions_refused = 0;
};

class Metrics final : public protocol::DispatchObserver {
 public:
  static constexpr std::size_t method_slots = protocol::method_count + 1;  // and "other"

  void request_finished(std::string_view method, bool error) override;
  void request_refused(std::string_view reason) override;
  void tool_call_finished(std::string_view tool, std::string_view outcome,
                          std::chrono::nanoseconds took) override;
  // One backend request: outcome is "2xx" … "5xx" or a transport error kind.
  void backend_request_finished(std::string_view outcome, std::chrono::nanoseconds took);
  // One HTTP answer, by status class ("2xx", "4xx", …).
  void http_response(int status);

  [[nodiscard]] std::string render(const MetricsGauges& gauges) const;

 private:
  using Key = std::pair<std::string, std::string>;
  mutable std::mutex mutex_;
  // [MCP method, or "other" last][ok, error]
  // [inflight_cap, duplicate_id, id_too_long]
  std::array<std::atomic<std::uint64_t>, 3> refused_{};
  std::array<std::array<std::atomic<std::uint64_t>, 2>, method_slots> requests_{};
  std::map<Key, std::uint64_t> tool_calls_;       // (tool, outcome)
  std::map<std::string, Histogram> tool_latency_;  // tool
  std::map<std::string, std::uint64_t> backend_;   // outcome
  Histogram backend_latency_;
  std::array<std::atomic<std::uint64_t>, 6> http_{};  // 1xx..5xx, other
};

}  // namespace mcpgate::server
