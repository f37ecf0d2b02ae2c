#include "mcpgate/server/origin_guard.hpp"

#include "mcpgate/util/text.hpp"

#include <algorithm>
#include <cctype>

namespace mcpgate::server {

namespace {

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), "*") != list.end() ||
         std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

OriginGuard::OriginGuard(bool bound_to_loopback, std::vector<std::string> allowed_hosts,
                         std::vector<std::string> allowed_origins)
    : loopback_(bound_to_loopback) {
  for (auto& h : allowed_hosts) hosts_.push_back(host_without_port(h));
  for (auto& o : allowed_origins) {
    std::string origin = util::ascii_lower(o);
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    origins_.push_back(origin);
  }
}

bool OriginGuard::is_loopback_address(std::string_view host) {
  return is_loopback_name(host_without_port(host));
}

std::string OriginGuard::host_without_port(std::string_view authority) {
  std::string value = util::ascii_lower(authority);
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    return close == std::string::npos ? value : value.substr(0, close + 1);
  }
  const auto colon = value.find(':');
  return colon == std::string::npos ? value : value.substr(0, colon);
}

std::optional<std::string> OriginGuard::check(std::string_view host_header,
                                              std::string_view origin_header) const {
  const std::string host = host_without_port(host_header);
  if (!hosts_.empty()) {
    if (!listed(hosts_, host)) return "Invalid Host: " + std::string(host_header);
  } else if (loopback_ && !is_loopback_name(host)) {
    return "Invalid Host: " + std::string(host_header);
  }

  if (origin_header.empty()) return std::nullopt;  // not a browser request
  std::string origin = util::ascii_lower(origin_header);
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  if (!origins_.empty()) {
    if (listed(origins_, origin)) return std::nullopt;
    return "Invalid Origin: " + std::string(origin_header);
  }
  const auto scheme_end = origin.find("://");
  const std::string origin_host =
      scheme_end == std::string::npos ? std::string() : host_without_port(origin.substr(scheme_end + 3));
  const bool ok = loopback_ ? is_loopback_name(origin_host) : origin_host == host;
  if (!ok) return "Invalid Origin: " + std::string(origin_header);
  return std::nullopt;
}

}  // namespace mcpgate::server
