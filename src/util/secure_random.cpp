#include "mcpgate/util/secure_random.hpp"

#include "mcpgate/util/base64.hpp"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace mcpgate::util {

std::string secure_random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (count > static_cast<std::size_t>(INT_MAX) ||
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("the system's random source failed");
  return bytes;
}

std::string random_id(std::string_view prefix) {
  return std::string(prefix) + base64url_encode(secure_random_bytes(16));
}

}  // namespace mcpgate::util
