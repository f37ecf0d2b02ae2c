// Archon-style results: the tool's JSON as a text block plus structuredContent {"result": text},
// with the output schema that declares it. Archon clients parse exactly this shape.
#pragma once

#include "mcpgate/tools/tool.hpp"

#include <string_view>

namespace mcpgate::tools {

[[nodiscard]] json string_result_schema(std::string_view tool_name);
[[nodiscard]] ToolResult json_string_result(const json& payload);
// ISO 8601 UTC timestamp, e.g. 2026-11-25T12:00:00.123Z.
[[nodiscard]] std::string utc_timestamp();

}  // namespace mcpgate::tools
