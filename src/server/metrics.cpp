#include "mcpgate/server/metrics.hpp"

#include "mcpgate/protocol/methods.hpp"

#include <cstdio>

namespace mcpgate::server {

namespace {

// A slot per method of the protocol's table; anything else is counted as "other" (the last slot).
static_assert(protocol::method_count + 1 == Metrics::method_slots);

std::size_t method_slot(std::string_view method) {
  const auto known = protocol::methods();
  for (std::size_t i = 0; i < known.size(); ++i)
    if (known[i].name == method) return i;
  return known.size();
}

std::string number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

// Label values are ours or bounded tool names; escape anyway, as the format requires.
std::string label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, const std::string& value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

}  // namespace

void Histogram::observe(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(took.count() > 0 ? took.count() : 0),
                    std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    sample(out, std::string(name) + "_bucket", prefix + "le=\"" + le + "\"", std::to_string(cumulative));
  }
  sample(out, std::string(name) + "_sum", labels,
         number(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9));
  sample(out, std::string(name) + "_count", labels, std::to_string(count_.load(std::memory_order_relaxed)));
}

void Metrics::request_finished(std::string_view method, bool error) {
  // Every JSON-RPC request passes here: a fixed slot per method, no lock, no allocation.
  requests_[method_slot(method)][error ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

namespace {
constexpr std::array<std::string_view, 3> refusal_reasons{"inflight_cap", "duplicate_id",
                                                           "id_too_long"};
}  // namespace

void Metrics::request_refused(std::string_view reason) {
  for (std::size_t i = 0; i < refusal_reasons.size(); ++i) {
    if (refusal_reasons[i] == reason) {
      refused_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void Metrics::tool_call_finished(std::string_view tool, std::string_view outcome,
                                 std::chrono::nanoseconds took) {
  std::lock_guard lock(mutex_);
  ++tool_calls_[{std::string(tool), std::string(outcome)}];
  tool_latency_[std::string(tool)].observe(took);
}

void Metrics::backend_request_finished(std::string_view outcome, std::chrono::nanoseconds took) {
  backend_latency_.observe(took);
  std::lock_guard lock(mutex_);
  ++backend_[std::string(outcome)];
}

void Metrics::http_response(int status) {
  const std::size_t slot = status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100 - 1) : 5;
  http_[slot].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const MetricsGauges& g) const {
  std::string out;
  out.reserve(8192);

  header(out, "mcpgate_up", "gauge", "1 while the process serves.");
  sample(out, "mcpgate_up", "", "1");
  header(out, "mcpgate_uptime_seconds", "gauge", "Seconds since the server started.");
  sample(out, "mcpgate_uptime_seconds", "", number(g.uptime_seconds));

  header(out, "mcpgate_sessions", "gauge", "Open MCP sessions by transport.");
  sample(out, "mcpgate_sessions", R"(transport="streamable_http")", std::to_string(g.sessions_streamable_http));
  sample(out, "mcpgate_sessions", R"(transport="legacy_sse")", std::to_string(g.sessions_legacy_sse));

  header(out, "mcpgate_listen_streams", "gauge",
         "subscriptions/listen streams open (protocol 2026-07-28), on this instance.");
  sample(out, "mcpgate_listen_streams", "", std::to_string(g.listen_streams));

  header(out, "mcpgate_sessions_ended_total", "counter",
         "Sessions the server ended: evicted for a newcomer at --max-sessions (the idlest), or "
         "expired idle past --session-ttl.");
  sample(out, "mcpgate_sessions_ended_total", R"(reason="evicted")", std::to_string(g.sessions_evicted));
  sample(out, "mcpgate_sessions_ended_total", R"(reason="expired")", std::to_string(g.sessions_expired));
  header(out, "mcpgate_sessions_refused_total", "counter",
         "New sessions refused (503) at --max-sessions because every open one was busy.");
  sample(out, "mcpgate_sessions_refused_total", "", std::to_string(g.sessions_refused));
  header(out, "mcpgate_requests_refused_total", "counter",
         "Requests refused before they ran: inflight_cap (-32005, the session's --max-inflight), "
         "duplicate_id (an id still running), id_too_long.");
  for (std::size_t i = 0; i < refusal_reasons.size(); ++i)
    sample(out, "mcpgate_requests_refused_total",
           "reason=\"" + std::string(refusal_reasons[i]) + "\"",
           std::to_string(refused_[i].load(std::memory_order_relaxed)));

  header(out, "mcpgate_threads", "gauge", "Threads of the connection and request pools.");
  sample(out, "mcpgate_threads", R"(pool="connection",state="all")", std::to_string(g.connection_threads));
  sample(out, "mcpgate_threads", R"(pool="connection",state="busy")", std::to_string(g.connection_threads_busy));
  sample(out, "mcpgate_threads", R"(pool="request",state="all")", std::to_string(g.request_threads));
  sample(out, "mcpgate_threads", R"(pool="request",state="busy")", std::to_string(g.request_threads_busy));
  header(out, "mcpgate_connections_rejected_total", "counter",
         "Connections answered 503 because --max-connections was reached.");
  sample(out, "mcpgate_connections_rejected_total", "", std::to_string(g.connections_rejected));
  header(out, "mcpgate_connections_moved_total", "counter",
         "Keep-alive connections handed to another thread because their client sent its next "
         "request (or closed) while a legacy call ran after its 202 on the connection's thread.");
  sample(out, "mcpgate_connections_moved_total", "", std::to_string(g.connections_moved));

  header(out, "mcpgate_init_state", "gauge", "1 for the current state of the shared initialisation.");
  for (const char* state : {"idle", "starting", "ready", "degraded", "failed"})
    sample(out, "mcpgate_init_state", std::string("state=\"") + state + "\"", g.init_state == state ? "1" : "0");
  header(out, "mcpgate_init_runs_total", "counter", "Times the shared initialisation ran.");
  sample(out, "mcpgate_init_runs_total", "", std::to_string(g.init_runs));
  header(out, "mcpgate_init_duration_seconds", "gauge", "How long the last initialisation took.");
  sample(out, "mcpgate_init_duration_seconds", "", number(g.init_last_duration_seconds));

  header(out, "mcpgate_sse_events_total", "counter",
         "SSE events queued for clients, and dropped because their stream was over its byte "
         "budget (--max-stream-bytes; the stream was ended, never left with a silent gap).");
  sample(out, "mcpgate_sse_events_total", R"(state="queued")", std::to_string(g.sse_events_queued));
  sample(out, "mcpgate_sse_events_total", R"(state="dropped")", std::to_string(g.sse_events_dropped));
  header(out, "mcpgate_sse_streams_overflowed_total", "counter",
         "SSE streams cut off because their client left more than --max-stream-bytes unread.");
  sample(out, "mcpgate_sse_streams_overflowed_total", "", std::to_string(g.sse_streams_overflowed));

  header(out, "mcpgate_http_responses_total", "counter", "HTTP answers by status class.");
  static constexpr const char* classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
  for (std::size_t i = 0; i < http_.size(); ++i)
    sample(out, "mcpgate_http_responses_total", std::string("code=\"") + classes[i] + "\"",
           std::to_string(http_[i].load(std::memory_order_relaxed)));

  std::lock_guard lock(mutex_);
  header(out, "mcpgate_rpc_requests_total", "counter", "JSON-RPC requests answered, by method and outcome.");
  for (std::size_t m = 0; m < requests_.size(); ++m) {
    const std::string_view name = m < protocol::method_count ? protocol::methods()[m].name : "other";
    for (std::size_t o = 0; o < 2; ++o)
      sample(out, "mcpgate_rpc_requests_total",
             "method=\"" + std::string(name) + "\",outcome=\"" + (o ? "error" : "ok") + "\"",
             std::to_string(requests_[m][o].load(std::memory_order_relaxed)));
  }
  header(out, "mcpgate_tool_calls_total", "counter", "tools/call by tool and outcome.");
  for (const auto& [key, count] : tool_calls_)
    sample(out, "mcpgate_tool_calls_total",
           "tool=\"" + label_value(key.first) + "\",outcome=\"" + key.second + "\"", std::to_string(count));
  header(out, "mcpgate_tool_call_duration_seconds", "histogram", "How long tool calls took.");
  for (const auto& [tool, histogram] : tool_latency_)
    histogram.render(out, "mcpgate_tool_call_duration_seconds", "tool=\"" + label_value(tool) + "\"");
  header(out, "mcpgate_backend_requests_total", "counter",
         "Requests to the backend, by HTTP status class or transport error.");
  for (const auto& [outcome, count] : backend_)
    sample(out, "mcpgate_backend_requests_total", "outcome=\"" + label_value(outcome) + "\"", std::to_string(count));
  header(out, "mcpgate_backend_request_duration_seconds", "histogram", "How long backend requests took.");
  backend_latency_.render(out, "mcpgate_backend_request_duration_seconds", "");
  return out;
}

}  // namespace mcpgate::server
