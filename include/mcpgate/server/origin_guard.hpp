// DNS-rebinding protection: which Host and Origin headers may reach the MCP endpoints.
//
// Bound to loopback, only loopback names (localhost, 127.0.0.1, [::1], any port) are accepted
// unless lists are configured. Bound elsewhere, any Host is accepted unless --allowed-hosts is
// set, and a browser Origin must be listed in --allowed-origins or be the request's own host.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::server {

class OriginGuard {
 public:
  OriginGuard(bool bound_to_loopback, std::vector<std::string> allowed_hosts,
              std::vector<std::string> allowed_origins);

  // nullopt when the request may proceed, else why it is refused (for a 403).
  [[nodiscard]] std::optional<std::string> check(std::string_view host_header,
                                                 std::string_view origin_header) const;

  [[nodiscard]] static bool is_loopback_address(std::string_view host);
  // "example.com:8080" -> "example.com", "[::1]:80" -> "[::1]"; lower-cased.
  [[nodiscard]] static std::string host_without_port(std::string_view authority);

 private:
  bool loopback_;
  std::vector<std::string> hosts_;    // lower-case host names, "*" for any
  std::vector<std::string> origins_;  // lower-case "scheme://host[:port]", "*" for any
};

}  // namespace mcpgate::server
