#include "mcpgate/protocol/versions.hpp"

#include <algorithm>

namespace mcpgate::protocol {

bool is_supported(std::string_view version) {
  return std::find(supported_versions.begin(), supported_versions.end(), version) !=
         supported_versions.end();
}

bool is_modern(std::string_view version) {
  return std::find(modern_versions.begin(), modern_versions.end(), version) !=
         modern_versions.end();
}

std::string negotiate(std::string_view requested) {
  return std::string(is_supported(requested) ? requested : latest_version);
}

}  // namespace mcpgate::protocol
