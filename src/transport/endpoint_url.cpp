#include "mcpgate/transport/endpoint_url.hpp"

#include <stdexcept>

namespace mcpgate::transport {

namespace {

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The characters a prefix or a public URL's path may have: RFC 3986 unreserved plus '/'.
// Nothing that ends an SSE line, starts a query or fragment, or needs escaping.
bool is_path_char(char c) { return is_alnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~'; }

// "/a/../b", "/..", "/a/.." : a ".." segment anywhere. (".." inside a name, "a..b", is
// refused as well: simpler to state, and no real prefix looks like that.)
bool has_dot_dot(std::string_view path) { return path.find("..") != std::string_view::npos; }

std::string_view strip_leading_slashes(std::string_view path) {
  const auto first = path.find_first_not_of('/');
  return first == std::string_view::npos ? std::string_view{} : path.substr(first);
}

// "host", "host:port", "[v6]" or "[v6]:port".
void check_authority(std::string_view authority) {
  if (authority.empty()) throw std::invalid_argument("it has no host");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("its IPv6 host has no ']'");
    host = authority.substr(0, close + 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("unexpected text after the IPv6 host");
      port = rest.substr(1);
      if (port.empty()) throw std::invalid_argument("its port is empty");
    }
    for (char c : host.substr(1, host.size() - 2))
      if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
        throw std::invalid_argument("its IPv6 host has an invalid character");
    if (host.size() == 2) throw std::invalid_argument("its IPv6 host is empty");
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) throw std::invalid_argument("its port is empty");
    }
    if (host.empty()) throw std::invalid_argument("it has no host");
    for (char c : host)
      if (!(is_alnum(c) || c == '-' || c == '.'))
        throw std::invalid_argument(c == '@' ? "user info is not allowed"
                                             : "its host has an invalid character");
  }
  if (!port.empty()) {
    if (port.size() > 5) throw std::invalid_argument("its port is not a number from 1 to 65535");
    long value = 0;
    for (char c : port) {
      if (!is_digit(c)) throw std::invalid_argument("its port is not a number from 1 to 65535");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535)
      throw std::invalid_argument("its port is not a number from 1 to 65535");
  }
}

}  // namespace

std::string relative_endpoint_url(std::string_view request_path, std::string_view post_path,
                                  std::string_view session_id) {
  std::size_t depth = 0;
  for (std::size_t i = 1; i < request_path.size(); ++i)
    if (request_path[i] == '/') ++depth;
  std::string url;
  for (std::size_t i = 0; i < depth; ++i) url += "../";
  url += strip_leading_slashes(post_path);
  url += "?sessionId=";
  url += session_id;
  return url;
}

std::string normalize_public_url(std::string_view url) {
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    throw std::invalid_argument("it must start with http:// or https://");
  }
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  // Look for the characters that could break the URL's meaning first, for a precise message.
  for (char c : rest) {
    if (c == '?' || c == '#') throw std::invalid_argument("it must not have a query or fragment");
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      throw std::invalid_argument("it must not contain spaces, control or non-ASCII characters");
  }
  check_authority(authority);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  for (char c : path)
    if (!is_path_char(c))
      throw std::invalid_argument("its path may only contain A-Z a-z 0-9 / - _ . ~");
  if (has_dot_dot(path)) throw std::invalid_argument("its path must not contain '..'");
  if (path.find("//") != std::string_view::npos)
    throw std::invalid_argument("its path must not contain '//'");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string out(url.substr(0, url.size() - rest.size()));
  out += authority;
  out += path;
  return out;
}

std::optional<std::string> valid_forwarded_prefix(std::string_view header) {
  if (header.empty() || header.size() > max_forwarded_prefix || header.front() != '/')
    return std::nullopt;
  for (char c : header)
    if (!is_path_char(c)) return std::nullopt;
  if (has_dot_dot(header) || header.find("//") != std::string_view::npos) return std::nullopt;
  while (!header.empty() && header.back() == '/') header.remove_suffix(1);
  return std::string(header);
}

EndpointUrl endpoint_url(const EndpointOptions& options, std::string_view request_path,
                         std::optional<std::string_view> forwarded_prefix,
                         std::string_view post_path, std::string_view session_id) {
  const std::string tail =
      "/" + std::string(strip_leading_slashes(post_path)) + "?sessionId=" + std::string(session_id);
  if (!options.public_url.empty()) return {options.public_url + tail, false};
  if (options.trust_forwarded && forwarded_prefix) {
    if (auto prefix = valid_forwarded_prefix(*forwarded_prefix)) return {*prefix + tail, false};
    return {relative_endpoint_url(request_path, post_path, session_id), true};
  }
  return {relative_endpoint_url(request_path, post_path, session_id), false};
}

}  // namespace mcpgate::transport
