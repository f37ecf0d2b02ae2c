// The tools mcpgate answers itself: health_check and session_info.
#pragma once

#include "mcpgate/tools/registry.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace mcpgate::tools {

// session_info's "recently active" window: long enough to span a working assistant's pauses
// between tool calls, short enough that the sessions clients leave open (every `claude mcp list`
// leaves one until --session-ttl, an hour by default) drop out of the count soon.
inline constexpr std::chrono::seconds recent_activity_window{300};

// Sessions open now, by transport (as the session registry counts them).
struct OpenSessions {
  std::size_t streamable_http = 0;
  std::size_t legacy_sse = 0;
  [[nodiscard]] std::size_t total() const { return streamable_http + legacy_sse; }
};

struct ServerStatusSource {
  std::function<OpenSessions()> session_counts;
  // Open sessions used since the time given or busy now (SessionRegistry::active_since).
  std::function<std::size_t(std::chrono::steady_clock::time_point)> sessions_active_since;
  std::function<std::string()> init_state;  // "idle", "starting", "ready", "degraded", "failed"
  std::chrono::steady_clock::time_point started;
  std::chrono::seconds session_ttl{3600};
  // A live look at the backend for health_check: {"api_service": bool, "detail": str}; unset
  // when there is no backend. The detail is shown to clients: it must not name the backend's
  // URL or the data file (those belong in /health and the logs).
  std::function<nlohmann::json()> probe_backend;
};

void register_local_tools(ToolRegistry& registry, ServerStatusSource status);

}  // namespace mcpgate::tools
