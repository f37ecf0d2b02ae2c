#include "router.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <algorithm>

namespace mcpgate::backend::embedded {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded; a malformed escape is kept as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// Splits on '/' (before decoding, so an encoded %2F stays inside its segment). Empty segments
// from a leading, trailing or doubled '/' are dropped.
std::vector<std::string> split_path(std::string_view path, bool decode) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) {
      const auto piece = path.substr(start, end - start);
      segments.push_back(decode ? percent_decode(piece) : std::string(piece));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::optional<std::string> RouteRequest::query_value(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return value;
  return std::nullopt;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern, false), std::move(handler)});
}

Response Router::dispatch(std::string_view method, std::string_view path, const Query& query,
                          const json& body) const {
  const auto segments = split_path(path, true);
  const Route* best = nullptr;
  int best_literals = -1;
  bool path_matched = false;
  std::vector<std::string> params;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    int literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (is_param(route.segments[i])) {
        match = !segments[i].empty();
      } else {
        match = route.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!match) continue;
    path_matched = true;
    if (route.method != method) continue;
    if (literals > best_literals) {
      best = &route;
      best_literals = literals;
    }
  }
  if (!best) {
    // A literal route for another method must not hide a parameter route for this one, and
    // the reverse: 405 only when no route of this method matches at all.
    return path_matched ? detail_error(405, "Method Not Allowed") : detail_error(404, "Not Found");
  }
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (is_param(best->segments[i])) params.push_back(segments[i]);
  try {
    return best->handler(RouteRequest{method, std::move(params), query, body});
  } catch (const RouteError& e) {
    return e.response;
  }
}

Response reply(int status, json body) {
  Response response;
  response.status = status;
  response.body = util::compact_json(body);
  response.body_json = std::move(body);
  return response;
}

Response detail_error(int status, std::string message) {
  return reply(status, json{{"detail", std::move(message)}});
}

Response detail_object_error(int status, std::string message) {
  return reply(status, json{{"detail", json{{"error", std::move(message)}}}});
}

}  // namespace mcpgate::backend::embedded
