// The authority in a Host header (RFC 9110 §7.2: host [":" port]) and in an Origin header
// (RFC 6454 §7: scheme "://" host [":" port], or "null"), parsed strictly, for OriginGuard.
//
// Strict because the guard decides on the host part alone: whatever a browser could send for
// one host must parse to that host, and whatever does not parse is refused, never guessed at.
// Parsed:
//   - a name: labels of A-Z a-z 0-9 - _ separated by single dots, at most 253 characters;
//     no trailing dot ("localhost." is refused, not taken for localhost);
//   - an IPv4 literal: exactly four decimal parts 0-255 with no leading zeros ("127.0.0.1");
//     a name whose last label is a number ("127.1", "0x7f.0.0.1", "127.0.0.01") is neither a
//     name nor a literal, and is refused (a browser would have rewritten it as an address);
//   - an IPv6 literal, only in brackets ("[::1]"), kept in its canonical spelling; no zone id;
//   - an optional port: ":" and 1-5 digits, 1-65535.
// Refused: anything else, including userinfo ("user@host"), a path, query or fragment,
// whitespace, control characters and percent-encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::server {

struct Authority {
  enum class Kind { name, ipv4, ipv6 };
  Kind kind = Kind::name;
  // Lower-case; an IPv6 literal in brackets, in canonical form ("[::1]" for "[0:0::1]").
  std::string host;
  std::optional<std::uint16_t> port;  // absent when none was given

  // True when the host part is a loopback name or address: "localhost", 127.0.0.0/8, or ::1
  // (in any spelling: an address literal cannot be rebound by DNS). The IPv4-mapped
  // [::ffff:127.0.0.1] is not: browsers never send it, and it is not ::1.
  [[nodiscard]] bool is_loopback() const;
  // "host" or "host:port", as parsed.
  [[nodiscard]] std::string text() const;

  friend bool operator==(const Authority&, const Authority&) = default;
};

// A browser's Origin: "http" or "https" and an authority, the scheme's default port dropped
// (so "http://localhost:80" equals "http://localhost").
struct Origin {
  std::string scheme;
  Authority authority;

  [[nodiscard]] std::string text() const;
  friend bool operator==(const Origin&, const Origin&) = default;
};

// A Host header value (or an --allowed-hosts entry); nullopt when it does not parse.
[[nodiscard]] std::optional<Authority> parse_authority(std::string_view text);

// An Origin header value (or an --allowed-origins entry): exactly scheme://authority, scheme
// http or https, nothing after the authority. "null" and any other scheme give nullopt.
[[nodiscard]] std::optional<Origin> parse_origin(std::string_view text);

}  // namespace mcpgate::server
