// The tools, resources, prompts and completion that the official MCP conformance suite calls
// (@modelcontextprotocol/conformance). Registered only with --conformance-fixtures.
#pragma once

#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/live_lists.hpp"
#include "mcpgate/tools/registry.hpp"

#include <memory>

namespace mcpgate::tools {

// `live`: the lists these will be part of, which the change fixtures change at run time.
void register_conformance_fixtures(ToolRegistry& tools, tools::Catalog& catalog,
                                   const std::shared_ptr<LiveLists>& live);

}  // namespace mcpgate::tools
