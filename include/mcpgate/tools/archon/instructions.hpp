// The `instructions` an MCP client receives in initialize when the Archon tools are offered:
// how an assistant should use them together.
#pragma once

#include <string_view>

namespace mcpgate::tools::archon {

[[nodiscard]] std::string_view instructions();

}  // namespace mcpgate::tools::archon
