// What parsing a JSON text into nlohmann::json costs in memory, measured before parsing it.
//
// A parsed document can take far more memory than its text: every value is a 16-byte json
// plus, for a string, object or array, a heap block of its own, and every object member a map
// node and a key string. Measured with glibc's malloc: `[{},{},...]` takes 21x its text,
// `[[],[],...]` 18x, `["","",...]` 23x, `[{"a":0},...]` 23x, a list of Archon tasks 4.8x, pages
// of prose 1.0x. The estimate below is 1.0-1.5x those (never under).
// So a byte cap on the text alone does not bound the parse; this estimate, summed in a SAX pass
// that allocates nothing per value, does.
#pragma once

#include <cstddef>
#include <string_view>

namespace mcpgate::util {

// Whether parsing `text` into nlohmann::json would take at most `max_bytes` of heap (an upper
// estimate: per value its json, per string, object or array its heap block and malloc's
// overhead, per member its map node and key, per array slot the vector's growth slack). Stops
// as soon as the sum passes `max_bytes`. Text that is not valid JSON counts what precedes the
// error (the parse then fails as cheaply).
[[nodiscard]] bool json_parse_cost_within(std::string_view text, std::size_t max_bytes);

}  // namespace mcpgate::util
