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
};

void register_local_tools(ToolRegistry& registry, ServerStatusSource status);

}  // namespace mcpgate::tools
