#include "mcpgate/server/bearer_auth.hpp"

#include "mcpgate/util/text.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace mcpgate::server {

namespace {

// Compares every byte of the longer input whatever the contents; lengths differing is the
// only thing that shows, and a token's length is not a secret worth protecting.
bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

BearerAuth::BearerAuth(std::string token) : token_(std::move(token)) {}

bool BearerAuth::allows(std::string_view header) const {
  if (!enabled()) return true;
  const std::string value = util::trim(header);
  constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size() || util::ascii_lower(value.substr(0, scheme.size())) != scheme)
    return false;
  return constant_time_equal(util::trim(std::string_view(value).substr(scheme.size())), token_);
}

std::string BearerAuth::read_token_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("cannot read the auth token file " + file.string() + ": " +
                             std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  std::string token = util::trim(line);
  if (token.empty()) throw std::runtime_error("the auth token file " + file.string() + " is empty");
  return token;
}

}  // namespace mcpgate::server
