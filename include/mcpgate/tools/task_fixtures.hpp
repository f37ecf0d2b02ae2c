// The tools the official conformance suite's tasks-* scenarios call (the tasks extension,
// io.modelcontextprotocol/tasks, SEP-2663). Registered with the other conformance fixtures, only
// with --conformance-fixtures.
#pragma once

#include "mcpgate/tools/registry.hpp"

namespace mcpgate::tools {

void register_task_fixtures(ToolRegistry& tools);

}  // namespace mcpgate::tools
