// The tools mcpgate answers itself: health_check and session_info.
#pragma once

#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/tools/registry.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace mcpgate::tools {

struct ServerStatusSource {
  std::function<sessions::SessionCounts()> session_counts;
  std::function<std::string()> init_state;  // "starting", "ready", "degraded", "failed"
  std::chrono::steady_clock::time_point started;
  std::chrono::seconds session_ttl{3600};
  // A live look at the backend for health_check: {"api_service": bool, "detail": str}; unset
  // when there is no backend. The detail is shown to clients: it must not name the backend's
  // URL or the data file (those belong in /health and the logs).
  std::function<nlohmann::json()> probe_backend;
};

void register_local_tools(ToolRegistry& registry, ServerStatusSource status);

}  // namespace mcpgate::tools
