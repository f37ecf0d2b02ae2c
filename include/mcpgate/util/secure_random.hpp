// Bytes from the operating system's cryptographic random source (OpenSSL's RAND_bytes), for
// secrets, nonces and ids: keys, what makes two tokens with the same contents differ, and ids
// that grant access to what they name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mcpgate::util {

// `count` random bytes. Throws std::runtime_error when the source fails (it never should once
// the kernel's pool is seeded; a secret must not be made from anything weaker).
[[nodiscard]] std::string secure_random_bytes(std::size_t count);

// An unguessable id (sessions, tasks): whoever holds one may act on what it names. `prefix`, then
// 128 random bits as 22 characters of base64url ([A-Za-z0-9_-], no padding).
[[nodiscard]] std::string random_id(std::string_view prefix = {});

}  // namespace mcpgate::util
