#include "backend_url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <new>
#include <stdexcept>

namespace mcpgate::backend::url {

namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

constexpr char hex_digits[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

void append_escaped(std::string& out, unsigned char c) {
  out += '%';
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0x0F];
}

bool is_token_char(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return std::isalnum(c) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

// For messages about a bad base URL: hide anything between "://" and '@'.
std::string redact_userinfo(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority);
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < authority) return std::string(url);
  return std::string(url.substr(0, authority)) + "***" + std::string(url.substr(at));
}

std::string curl_url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

// Query keys and values: everything but RFC 3986 unreserved characters is escaped (the set
// curl_easy_escape keeps), so '&', '=', '+', '#', space and UTF-8 bytes never change meaning.
void append_query_part(std::string& out, std::string_view raw) {
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else {
      append_escaped(out, c);
    }
  }
}

// A path: characters allowed in a path (RFC 3986 pchar and '/') stay, an existing %XX escape
// stays, everything else is escaped.
std::string escape_path(std::string_view raw) {
  static constexpr std::string_view keep = "/!$&'()*+,;=:@";
  std::string out;
  out.reserve(raw.size() + 8);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (is_unreserved(c) || keep.find(raw[i]) != std::string_view::npos) {
      out += raw[i];
    } else if (c == '%' && i + 2 < raw.size() && is_hex(raw[i + 1]) && is_hex(raw[i + 2])) {
      out += raw[i];
    } else {
      append_escaped(out, c);
    }
  }
  return out;
}

std::string checked_method(std::string_view method) {
  if (method.empty()) throw std::invalid_argument("backend request: the HTTP method is empty");
  std::string upper;
  upper.reserve(method.size());
  for (const char ch : method) {
    if (!is_token_char(ch)) {
      throw std::invalid_argument("backend request: invalid HTTP method '" +
                                  std::string(method) + "'");
    }
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return upper;
}

void check_path(std::string_view method, std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument("backend request " + std::string(method) + " '" +
                                std::string(path) + "': the path must start with '/'");
  }
  if (path.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument("backend request " + std::string(method) +
                                ": the path contains a line break or NUL byte");
  }
}

// "http://host:port" from whatever the operator configured; throws std::invalid_argument.
std::string normalise_base_url(std::string_view configured) {
  const std::string shown = redact_userinfo(configured);
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("invalid backend URL '" + shown + "': " + why +
                                 " (expected http://host:port)");
  };
  if (configured.empty()) {
    throw std::invalid_argument("invalid backend URL: it is empty (expected http://host:port)");
  }
  if (configured.find("://") == std::string_view::npos) throw bad("the scheme is missing");

  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url) throw std::bad_alloc();
  const std::string text(configured);
  const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) throw bad(curl_url_strerror(rc));

  std::string scheme = curl_url_part(url.get(), CURLUPART_SCHEME);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") throw bad("the scheme must be http or https");
  if (!curl_url_part(url.get(), CURLUPART_USER).empty() ||
      !curl_url_part(url.get(), CURLUPART_PASSWORD).empty()) {
    throw bad("credentials in the URL are not supported");
  }
  const std::string host = curl_url_part(url.get(), CURLUPART_HOST);
  if (host.empty()) throw bad("the host is missing");
  if (!curl_url_part(url.get(), CURLUPART_QUERY).empty()) throw bad("a query is not allowed");
  if (!curl_url_part(url.get(), CURLUPART_FRAGMENT).empty()) throw bad("a fragment is not allowed");
  const std::string port = curl_url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (port.empty() || port == "0") throw bad("the port must be 1-65535");
  return scheme + "://" + host + ":" + port;
}

}  // namespace mcpgate::backend::url
