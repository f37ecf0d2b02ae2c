// The process's logger: spdlog on stderr, as text for people or as one JSON object per line for
// log shippers (--log-format json):
//   {"time":"2026-11-25T10:00:00.123+0000","level":"info","thread":1234,"message":"..."}
// Messages name the session, tool and backend they concern, so every line carries its context.
#pragma once

#include <string>

namespace mcpgate {

// Installs the default logger. `format` is "text" or "json"; `level` an spdlog level name.
void configure_logging(const std::string& format, const std::string& level);

}  // namespace mcpgate
