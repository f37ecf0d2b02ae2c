// How deep JSON may nest before it is refused without being parsed. Copies, validation and
// serialisation of a parsed document recurse, and connection threads have 256 KiB stacks: a
// document 50,000 levels deep, from a client or a backend, would overflow one and take the
// whole server down.
#pragma once

#include <string_view>

namespace mcpgate::util {

inline constexpr int max_json_nesting = 100;

// Whether no array or object in `text` opens more than `limit` levels deep (brackets inside
// strings do not count). Any text is accepted; it need not be valid JSON.
[[nodiscard]] bool json_nesting_within(std::string_view text, int limit = max_json_nesting);

}  // namespace mcpgate::util
