#include "mcpgate/server/origin_guard.hpp"

#include "mcpgate/util/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcpgate::server {

namespace {

std::invalid_argument bad_entry(std::string_view flag, std::string_view entry, std::string_view want) {
  return std::invalid_argument(std::string(flag) + " entry '" + util::printable(entry) +
                               "' is not " + std::string(want));
}

std::string refusal(std::string_view what, std::string_view value) {
  return std::string(what) + ": " + (value.empty() ? "(none)" : util::printable(value));
}

}  // namespace

OriginGuard::OriginGuard(bool bound_to_loopback, const std::vector<std::string>& allowed_hosts,
                         const std::vector<std::string>& allowed_origins)
    : loopback_(bound_to_loopback) {
  for (const auto& raw : allowed_hosts) {
    const std::string entry = util::trim(raw);
    if (entry.empty()) continue;
    if (entry == "*") {
      any_host_ = true;
      continue;
    }
    auto host = parse_authority(entry);
    if (!host) throw bad_entry("--allowed-hosts", entry, "a host[:port] (e.g. example.com:8051)");
    hosts_.push_back(std::move(*host));
  }
  for (const auto& raw : allowed_origins) {
    std::string entry = util::trim(raw);
    if (entry.empty()) continue;
    if (entry == "*") {
      any_origin_ = true;
      continue;
    }
    if (entry.back() == '/') entry.pop_back();  // as copied from an address bar
    auto origin = parse_origin(entry);
    if (!origin)
      throw bad_entry("--allowed-origins", entry,
                      "an http(s)://host[:port] origin (e.g. http://localhost:6274)");
    origins_.push_back(std::move(*origin));
  }
}

bool OriginGuard::is_loopback_address(std::string_view address) {
  // A listen address spells IPv6 without brackets ("::1").
  const bool bare_ipv6 = !address.empty() && address.front() != '[' &&
                         address.find(':') != std::string_view::npos;
  const auto parsed = parse_authority(bare_ipv6 ? "[" + std::string(address) + "]" : address);
  return parsed && !parsed->port && parsed->is_loopback();
}

bool OriginGuard::host_listed(const Authority& host) const {
  return any_host_ || std::any_of(hosts_.begin(), hosts_.end(), [&](const Authority& entry) {
           return entry.host == host.host && (!entry.port || entry.port == host.port);
         });
}

bool OriginGuard::origin_listed(const Origin& origin) const {
  return any_origin_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<std::string> OriginGuard::check(std::string_view host_header,
                                              std::string_view origin_header) const {
  const bool hosts_listed = any_host_ || !hosts_.empty();
  std::optional<Authority> host;
  if (!host_header.empty()) {
    host = parse_authority(host_header);
    if (!host) return refusal("Invalid Host", host_header);
  }
  bool host_ok = true;  // bound elsewhere with no list: any Host, or none
  if (hosts_listed)
    host_ok = host && host_listed(*host);
  else if (loopback_)
    host_ok = host && host->is_loopback();
  if (!host_ok) return refusal("Invalid Host", host_header);

  if (origin_header.empty()) return std::nullopt;  // not a browser request
  const auto origin = parse_origin(origin_header);
  bool ok = false;
  if (!origin)
    ok = false;  // "null", another scheme, a path, a malformed authority
  else if (any_origin_ || !origins_.empty())
    ok = origin_listed(*origin);
  else if (loopback_)
    ok = origin->authority.is_loopback();
  else
    ok = host && origin->authority.host == host->host;
  if (!ok) return refusal("Invalid Origin", origin_header);
  return std::nullopt;
}

}  // namespace mcpgate::server
