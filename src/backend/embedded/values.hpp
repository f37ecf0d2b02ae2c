// Small value helpers shared by the embedded routes: new ids and timestamps.
#pragma once

#include <string>

namespace mcpgate::backend::embedded {

// A random RFC 4122 version-4 UUID in lower-case text ("3f2b...-4...-...").
[[nodiscard]] std::string new_id();

// The current time as ISO-8601 UTC with microseconds: "2025-01-02T03:04:05.123456+00:00"
// (the form Archon's database returns). Fixed width, so text order is time order.
[[nodiscard]] std::string now_timestamp();

}  // namespace mcpgate::backend::embedded
