// The conformance suite's fixtures that change what the server offers (2026-07-28,
// server-stateless: its list-changed checks call them while a listen stream is open). They
// really change the lists, so the notifications that follow are real ones. Registered only
// with --conformance-fixtures (from register_conformance_fixtures()).
//
//   test_trigger_tool_change     adds test_dynamic_tool, or removes it when it is there
//   test_trigger_prompt_change   adds test_dynamic_prompt, or removes it when it is there
//   test_trigger_resource_update changes test://watched-resource's content (resources/updated)
#pragma once

#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/live_lists.hpp"
#include "mcpgate/tools/registry.hpp"

#include <memory>

namespace mcpgate::tools {

// Adds the three tools to `tools` and makes test://watched-resource (already in `catalog`)
// follow the updates; declares the tool and prompt lists of `live` changeable.
void register_change_fixtures(ToolRegistry& tools, Catalog& catalog,
                              const std::shared_ptr<LiveLists>& live);

}  // namespace mcpgate::tools
