// Optional shared-secret authentication for the MCP endpoints: clients send
// "Authorization: Bearer <token>". Operators set the token with --auth-token,
// MCPGATE_AUTH_TOKEN or --auth-token-file; without one, every request is allowed.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mcpgate::server {

class BearerAuth {
 public:
  explicit BearerAuth(std::string token);  // empty: authentication disabled

  [[nodiscard]] bool enabled() const noexcept { return !token_.empty(); }

  // True when disabled, or when the header is "Bearer <token>" (scheme case-insensitive). The
  // comparison takes the same time wherever the first difference is, so response timing does
  // not reveal how much of a guess was right.
  [[nodiscard]] bool allows(std::string_view authorization_header) const;

  // The token in a file: its first line without surrounding whitespace. Throws
  // std::runtime_error naming the file when it cannot be read or holds no token.
  [[nodiscard]] static std::string read_token_file(const std::filesystem::path& file);

 private:
  std::string token_;
};

}  // namespace mcpgate::server
