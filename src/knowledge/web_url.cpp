#include "mcpgate/knowledge/web_url.hpp"
#include "mcpgate/util/text.hpp"

#include <algorithm>
#include <cctype>

namespace mcpgate::knowledge {

namespace {

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;
  const bool trailing = path.ends_with("/") || path.ends_with("/.") || path.ends_with("/..");
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (segment != "." && !(segment.empty() && end < path.size())) {
      if (!segment.empty()) segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing) out += '/';
  return out;
}

// Bytes a URL must not carry raw (spaces, controls, non-ASCII) percent-encoded; the rest kept.
std::string encode_unsafe(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= 0x20) text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= 0x20) text.remove_suffix(1);
  return text;
}

std::optional<std::string> normal_authority(std::string_view scheme, std::string_view authority) {
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string host = util::ascii_lower(authority);
  if (host.empty()) return std::nullopt;
  if ((scheme == "http" && host.ends_with(":80")) || (scheme == "https" && host.ends_with(":443")))
    host.resize(host.size() - (scheme == "http" ? 3 : 4));
  if (host.ends_with(":")) host.pop_back();
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']' || c == '_'))
      return std::nullopt;
  return host;
}

void split_path_query(std::string_view rest, std::string& path, std::string& query) {
  rest = rest.substr(0, rest.find('#'));
  const std::size_t q = rest.find('?');
  path = std::string(rest.substr(0, q));
  query = q == std::string_view::npos ? "" : std::string(rest.substr(q + 1));
}

}  // namespace

std::optional<WebUrl> parse_url(std::string_view text) {
  text = trim(text);
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  WebUrl url;
  url.scheme = util::ascii_lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(colon + 3);
  const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  auto authority = normal_authority(url.scheme, rest.substr(0, end));
  if (!authority) return std::nullopt;
  url.authority = std::move(*authority);
  split_path_query(rest.substr(end), url.path, url.query);
  url.path = encode_unsafe(remove_dot_segments(url.path.empty() ? "/" : url.path));
  url.query = encode_unsafe(url.query);
  return url;
}

std::optional<WebUrl> resolve_url(const WebUrl& base, std::string_view reference) {
  reference = trim(reference);
  const std::size_t scheme_end = reference.find_first_of(":/?#");
  if (scheme_end != std::string_view::npos && reference[scheme_end] == ':') {
    const std::string scheme = util::ascii_lower(reference.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return std::nullopt;  // mailto:, javascript:…
    if (!reference.substr(scheme_end).starts_with("://")) return std::nullopt;
    return parse_url(reference);
  }
  if (reference.starts_with("//")) return parse_url(base.scheme + ":" + std::string(reference));
  WebUrl url = base;
  if (reference.empty() || reference.front() == '#') return url;
  std::string path, query;
  split_path_query(reference, path, query);
  if (path.empty()) {
    url.query = encode_unsafe(query);
    return url;
  }
  if (path.front() != '/') path = base.path.substr(0, base.path.rfind('/') + 1) + path;
  url.path = encode_unsafe(remove_dot_segments(path));
  url.query = encode_unsafe(query);
  return url;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative '*' matching with one backtrack point: linear in practice, never exponential.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

CrawlScope::CrawlScope(const std::vector<WebUrl>& starts, std::vector<std::string> include,
                       std::vector<std::string> exclude)
    : include_(std::move(include)), exclude_(std::move(exclude)) {
  for (const WebUrl& start : starts) {
    prefixes_.push_back(start.origin() + start.path.substr(0, start.path.rfind('/') + 1));
    origins_.push_back(start.origin());
  }
}

bool CrawlScope::same_site(const WebUrl& url) const {
  const std::string origin = url.origin();
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool CrawlScope::covers(std::string_view url_text) const {
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& prefix) { return url_text.starts_with(prefix); });
}

bool CrawlScope::in_prefix(const WebUrl& url) const { return covers(url.text()); }

bool CrawlScope::wanted(const WebUrl& url) const {
  if (!in_prefix(url)) return false;
  const std::string text = url.text();
  auto matches = [&](const std::string& pattern) { return glob_match(pattern, text); };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches)) return false;
  return std::none_of(exclude_.begin(), exclude_.end(), matches);
}

}  // namespace mcpgate::knowledge
