// The URLs HttpBackend calls: the operator's base URL normalised, a request's method and path
// checked, paths and query parts escaped so that no argument can change the route.
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::backend::url {

// "http://host:port" from whatever the operator configured (scheme, host, port; no
// credentials, query or fragment). Throws std::invalid_argument naming what is wrong, with any
// userinfo hidden.
[[nodiscard]] std::string normalise_base_url(std::string_view configured);

// The method upper-cased; throws std::invalid_argument when it is empty or not a token.
[[nodiscard]] std::string checked_method(std::string_view method);

// Throws std::invalid_argument unless `path` starts with '/' and holds no CR, LF or NUL.
void check_path(std::string_view method, std::string_view path);

// A path: characters allowed in a path (RFC 3986 pchar and '/') and existing %XX escapes stay,
// everything else is escaped.
[[nodiscard]] std::string escape_path(std::string_view raw);

// Appends a query key or value with everything but RFC 3986 unreserved characters escaped, so
// '&', '=', '+', '#', space and UTF-8 bytes never change its meaning.
void append_query_part(std::string& out, std::string_view raw);

}  // namespace mcpgate::backend::url
