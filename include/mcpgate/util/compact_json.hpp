// JSON as it goes on the wire and to the backend: compact, keys in order, invalid UTF-8 in
// strings replaced by U+FFFD rather than thrown.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace mcpgate::util {

// Byte for byte nlohmann's value.dump(-1, ' ', false, error_handler_t::replace), faster: an
// ASCII string is measured, then written in place, rather than escaped a byte at a time.
[[nodiscard]] std::string compact_json(const nlohmann::json& value);

}  // namespace mcpgate::util
