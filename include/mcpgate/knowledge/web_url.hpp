// URLs as the web crawler sees them: parsed into scheme, authority and path, resolved against
// the page they appear on, normalised (fragment dropped, default port and dot segments removed)
// so that one page has one spelling, and tested against the crawl's scope.
//
// Only http and https URLs are crawled; everything else (mailto:, javascript:, data:, ftp:) is
// nullopt from resolve_url and never fetched.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::knowledge {

struct WebUrl {
  std::string scheme;     // "http" or "https", lower case
  std::string authority;  // host[:port], lower case, default port removed
  std::string path;       // starts with '/', dot segments removed
  std::string query;      // without '?', "" when absent

  // scheme://authority (the site: robots.txt, politeness and redirects are per origin).
  [[nodiscard]] std::string origin() const { return scheme + "://" + authority; }
  [[nodiscard]] std::string text() const {
    return origin() + path + (query.empty() ? "" : "?" + query);
  }
};

// An absolute http(s) URL, normalised; nullopt for anything else.
[[nodiscard]] std::optional<WebUrl> parse_url(std::string_view text);
// `reference` (an href, a Location header) resolved against `base` (RFC 3986 section 5).
[[nodiscard]] std::optional<WebUrl> resolve_url(const WebUrl& base, std::string_view reference);

// What a crawl may fetch: the start URLs' origins and path prefixes (a start URL's folder:
// https://x.dev/docs/intro.html covers https://x.dev/docs/…), narrowed by --include (when given,
// a URL must match one) and --exclude (a URL matching one is left out). Patterns are globs over
// the whole URL text: '*' matches any run of characters, everything else itself.
class CrawlScope {
 public:
  CrawlScope(const std::vector<WebUrl>& starts, std::vector<std::string> include,
             std::vector<std::string> exclude);

  [[nodiscard]] bool same_site(const WebUrl& url) const;  // one of the starts' origins
  [[nodiscard]] bool in_prefix(const WebUrl& url) const;  // same site and under a start's folder
  [[nodiscard]] bool wanted(const WebUrl& url) const;     // in_prefix and the patterns say yes
  // A URL text (as stored) under one of the prefixes: what a finished crawl may remove.
  [[nodiscard]] bool covers(std::string_view url_text) const;

 private:
  std::vector<std::string> prefixes_;  // origin + folder path, e.g. "https://x.dev/docs/"
  std::vector<std::string> origins_;
  std::vector<std::string> include_, exclude_;
};

[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace mcpgate::knowledge
