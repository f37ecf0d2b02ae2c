// DNS-rebinding protection: which Host and Origin headers may reach the MCP endpoints.
//
// Both headers are parsed strictly (server/authority.hpp); one that does not parse is refused
// in every mode. Then:
//   - Host: bound to loopback, only a loopback host is accepted ("localhost", 127.0.0.0/8,
//     [::1]; any port), unless --allowed-hosts is set. Bound elsewhere, any Host is accepted
//     unless --allowed-hosts is set.
//   - Origin (sent by browsers): absent is fine. Else it must be exactly http(s)://authority
//     ("null" is refused) and be listed in --allowed-origins; without that list, bound to
//     loopback it must be a loopback origin, bound elsewhere its host must be the request's.
// A name only counts for what it is: "127.0.0.1.attacker.example" is a name, not loopback,
// so a page whose DNS name is rebound to 127.0.0.1 cannot pass.
// List entries use the same parsing: an --allowed-hosts entry without a port matches any
// port, with one only that port; an --allowed-origins entry matches scheme, host and port
// (default ports implied). "*" in a list accepts any well-formed value.
#pragma once

#include "mcpgate/server/authority.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::server {

class OriginGuard {
 public:
  // Throws std::invalid_argument, naming the flag and the entry, for a list entry that does
  // not parse (config validation builds one to check the flags). Entries are trimmed; empty
  // ones are skipped.
  OriginGuard(bool bound_to_loopback, const std::vector<std::string>& allowed_hosts,
              const std::vector<std::string>& allowed_origins);

  // nullopt when the request may proceed, else why it is refused (for a 403; printable).
  [[nodiscard]] std::optional<std::string> check(std::string_view host_header,
                                                 std::string_view origin_header) const;

  // Whether a listen address ("127.0.0.1", "::1", "[::1]", "localhost") is loopback.
  [[nodiscard]] static bool is_loopback_address(std::string_view address);

 private:
  [[nodiscard]] bool host_listed(const Authority& host) const;
  [[nodiscard]] bool origin_listed(const Origin& origin) const;

  bool loopback_;
  bool any_host_ = false;
  bool any_origin_ = false;
  std::vector<Authority> hosts_;  // a port-less entry matches any port
  std::vector<Origin> origins_;
};

}  // namespace mcpgate::server
