// Bytes from the operating system's cryptographic random source (OpenSSL's RAND_bytes), for
// secrets and nonces: keys, and what makes two tokens with the same contents differ.
#pragma once

#include <cstddef>
#include <string>

namespace mcpgate::util {

// `count` random bytes. Throws std::runtime_error when the source fails (it never should once
// the kernel's pool is seeded; a secret must not be made from anything weaker).
[[nodiscard]] std::string secure_random_bytes(std::size_t count);

}  // namespace mcpgate::util
