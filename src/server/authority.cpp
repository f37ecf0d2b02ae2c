#include "mcpgate/server/authority.hpp"

#include "mcpgate/util/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace mcpgate::server {

namespace {

// DNS limits (RFC 1035): a whole name, one label.
constexpr std::size_t max_name = 253;
constexpr std::size_t max_label = 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_name_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// The labels a browser's URL parser would read as a number, making the whole host an IPv4
// address in some notation: decimal digits, or 0x and hex digits.
bool numeric_label(std::string_view label) {
  if (all_digits(label)) return true;
  if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X'))
    return std::all_of(label.begin() + 2, label.end(), is_hex);
  return false;
}

// "0".."255" with no leading zero: the one spelling of each octet.
std::optional<unsigned> octet(std::string_view part) {
  if (!all_digits(part) || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : part) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 255) return std::nullopt;
  return value;
}

// Splits on '.', keeping empty labels (so "a..b" and "a." can be refused).
template <typename Each>
bool for_each_label(std::string_view host, Each each) {
  for (;;) {
    const auto dot = host.find('.');
    if (!each(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool strict_ipv4(std::string_view host) {
  int parts = 0;
  const bool ok = for_each_label(host, [&](std::string_view part) {
    ++parts;
    return parts <= 4 && octet(part).has_value();
  });
  return ok && parts == 4;
}

// A reg-name or an IPv4 literal (no brackets, no port).
std::optional<Authority::Kind> classify_host(std::string_view host) {
  if (host.empty() || host.size() > max_name) return std::nullopt;
  std::string_view last;
  const bool labels_ok = for_each_label(host, [&](std::string_view label) {
    last = label;
    return !label.empty() && label.size() <= max_label &&
           std::all_of(label.begin(), label.end(), is_name_char);
  });
  if (!labels_ok) return std::nullopt;
  if (!numeric_label(last)) return Authority::Kind::name;
  if (strict_ipv4(host)) return Authority::Kind::ipv4;
  return std::nullopt;  // "127.1", "0x7f.0.0.1", "127.0.0.01", "1.2.3.4.5"
}

// The inside of "[...]": an IPv6 address in canonical (RFC 5952) spelling, or nullopt.
// inet_pton refuses zone ids ("%25eth0") and IPvFuture ("v1.x"); the character check keeps
// anything else it might tolerate out.
std::optional<std::string> canonical_ipv6(std::string_view inside) {
  if (inside.empty() || inside.size() > 45) return std::nullopt;
  if (!std::all_of(inside.begin(), inside.end(),
                   [](char c) { return is_hex(c) || c == ':' || c == '.'; }))
    return std::nullopt;
  const std::string text(inside);
  in6_addr address{};
  if (inet_pton(AF_INET6, text.c_str(), &address) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(AF_INET6, &address, out, sizeof(out))) return std::nullopt;
  return "[" + std::string(out) + "]";
}

// ":1".."65535" (the colon included); an empty port, a sign, letters or more than 5 digits
// do not parse.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.size() < 2 || text[0] != ':') return std::nullopt;
  const std::string_view digits = text.substr(1);
  if (!all_digits(digits) || digits.size() > 5) return std::nullopt;
  unsigned long value = 0;
  for (char c : digits) value = value * 10 + static_cast<unsigned long>(c - '0');
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

bool Authority::is_loopback() const {
  switch (kind) {
    case Kind::name:
      return host == "localhost";
    case Kind::ipv4:
      return host.rfind("127.", 0) == 0;  // a strict literal: its first octet is 127
    case Kind::ipv6:
      return host == "[::1]";  // canonical spelling
  }
  return false;
}

std::string Authority::text() const {
  return port ? host + ":" + std::to_string(*port) : host;
}

std::string Origin::text() const { return scheme + "://" + authority.text(); }

std::optional<Authority> parse_authority(std::string_view text) {
  Authority out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto host = canonical_ipv6(text.substr(1, close - 1));
    if (!host) return std::nullopt;
    out.kind = Authority::Kind::ipv6;
    out.host = std::move(*host);
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    auto kind = classify_host(host);
    if (!kind) return std::nullopt;
    out.kind = *kind;
    out.host = util::ascii_lower(host);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (!rest.empty()) {
    out.port = parse_port(rest);
    if (!out.port) return std::nullopt;
  }
  return out;
}

std::optional<Origin> parse_origin(std::string_view text) {
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) return std::nullopt;  // "null" among others
  Origin out;
  out.scheme = util::ascii_lower(text.substr(0, separator));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  auto authority = parse_authority(text.substr(separator + 3));
  if (!authority) return std::nullopt;
  if (authority->port == default_port(out.scheme)) authority->port.reset();
  out.authority = std::move(*authority);
  return out;
}

}  // namespace mcpgate::server
