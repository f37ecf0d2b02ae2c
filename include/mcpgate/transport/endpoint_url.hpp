// The URL that the legacy transport's `endpoint` event names for a session's POSTs, and the
// validation of the two outside inputs that may shape it: the operator's --public-url and a
// proxy's X-Forwarded-Prefix header.
//
// The URL lands in an SSE `data:` line and is resolved by the client against the stream's URL
// (RFC 3986), and SDK clients refuse one whose origin differs from the stream's. So:
//   - by default it is a relative reference, which keeps any proxy path prefix by itself;
//   - --public-url (trusted, from the operator) makes it absolute: <public-url><post-path>;
//   - a trusted X-Forwarded-Prefix makes it an absolute path: <prefix><post-path>. The header
//     comes from the network, so it is accepted only in a narrow shape (see
//     valid_forwarded_prefix) that cannot end the data line, name another host ("//evil.com")
//     or climb out of the prefix ("..").
// Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::transport {

struct EndpointOptions {
  std::string public_url;       // normalize_public_url()'s result, or empty
  bool trust_forwarded = false;  // honour X-Forwarded-Prefix
};

// The longest X-Forwarded-Prefix accepted.
inline constexpr std::size_t max_forwarded_prefix = 256;

// A relative reference to `post_path` from a stream opened at `request_path`: one "../" per
// directory level below the root, so the client's resolution keeps whatever prefix the
// stream's public URL has.
[[nodiscard]] std::string relative_endpoint_url(std::string_view request_path,
                                                std::string_view post_path,
                                                std::string_view session_id);

// --public-url checked and normalised: http or https, a host (name, IPv4 or [IPv6]) with an
// optional port, an optional path of plain characters without "..", no user info, query or
// fragment; trailing '/' removed. Throws std::invalid_argument saying what is wrong.
[[nodiscard]] std::string normalize_public_url(std::string_view url);

// An X-Forwarded-Prefix value if it is safe to put in the endpoint URL: starts with '/', only
// [A-Za-z0-9/_.~-], no "..", no "//", at most max_forwarded_prefix characters. Returned without
// its trailing '/' ("/" gives ""). nullopt otherwise.
[[nodiscard]] std::optional<std::string> valid_forwarded_prefix(std::string_view header);

struct EndpointUrl {
  std::string url;
  bool prefix_ignored = false;  // a forwarded prefix was trusted but invalid (worth a warning)
};

// The endpoint event's URL. `forwarded_prefix` is the X-Forwarded-Prefix header if the request
// had exactly one. Precedence: public URL, then a trusted valid prefix, then relative.
[[nodiscard]] EndpointUrl endpoint_url(const EndpointOptions& options,
                                       std::string_view request_path,
                                       std::optional<std::string_view> forwarded_prefix,
                                       std::string_view post_path, std::string_view session_id);

}  // namespace mcpgate::transport
