// Unguessable ids (sessions, tasks): whoever holds one may act on what it names, so they come
// from the OS CSPRNG.
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::util {

// `prefix`, then 128 random bits as 22 characters of base64url ([A-Za-z0-9_-], no padding).
// Throws std::system_error when the OS has no randomness to give.
[[nodiscard]] std::string random_id(std::string_view prefix = {});

}  // namespace mcpgate::util
