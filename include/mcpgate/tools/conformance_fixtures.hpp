// The tools, resources, prompts and completion that the official MCP conformance suite calls
// (@modelcontextprotocol/conformance). Registered only with --conformance-fixtures.
#pragma once

#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/registry.hpp"

namespace mcpgate::tools {

void register_conformance_fixtures(ToolRegistry& tools, tools::Catalog& catalog);

}  // namespace mcpgate::tools
