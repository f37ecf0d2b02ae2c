// The `instructions` an MCP client receives in initialize when the Archon tools are offered:
// how an assistant should use them together.
#pragma once

#include "mcpgate/tools/catalog.hpp"

#include <cstddef>
#include <string_view>

namespace mcpgate::tools::archon {

// Claude Code keeps only the first 2,048 characters of a server's instructions; the text stays
// under it (tests/archon/test_archon_registration.cpp counts its UTF-8 bytes, never fewer than
// its characters) so that no part of it is silently cut.
inline constexpr std::size_t max_instructions_chars = 2048;

[[nodiscard]] std::string_view instructions();

// The same text as a resource (instructions_uri, text/markdown), for clients that show
// resources but not initialize's instructions, and for reading them again mid-session.
inline constexpr std::string_view instructions_uri = "mcpgate://instructions";
[[nodiscard]] tools::Resource instructions_resource();

}  // namespace mcpgate::tools::archon
