// Base64 (RFC 4648): the standard alphabet with padding, as MCP's `=?base64?…?=` header values
// use it, and the URL-safe alphabet without padding, for tokens that travel in JSON and URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::util {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
[[nodiscard]] std::string base64url_encode(std::string_view bytes);

// Strict: only the alphabet, length a multiple of 4, padding only at the end, and no bits left
// over in the last character. nullopt otherwise.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);
// The URL-safe alphabet, with no padding (lengths 4n, 4n+2, 4n+3). nullopt otherwise.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace mcpgate::util
