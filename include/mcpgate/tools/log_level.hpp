// RFC 5424 severities as MCP's logging/setLevel and notifications/message use them.
#pragma once

#include <optional>
#include <string_view>

namespace mcpgate::tools {

enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency, off };
// `off` is a threshold only (above every severity): a client that asked for no logs. No message
// has it, and parse_log_level() never returns it.

[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view name);
[[nodiscard]] std::string_view to_string(LogLevel level);

}  // namespace mcpgate::tools
