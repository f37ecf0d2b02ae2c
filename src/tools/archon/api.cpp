#include "mcpgate/tools/archon/api.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mcpgate::tools::archon {

ApiClient::ApiClient(std::shared_ptr<backend::Backend> backend, backend::Timeouts timeouts,
                     std::string tool_name)
    : backend_(std::move(backend)), timeouts_(timeouts), tool_(std::move(tool_name)) {}

backend::Response ApiClient::get(const std::string& path, const backend::Query& query) const {
  return request("GET", path, query, nullptr, timeouts_);
}

backend::Response ApiClient::post(const std::string& path, const json& body) const {
  return request("POST", path, {}, body, timeouts_);
}

backend::Response ApiClient::put(const std::string& path, const json& body) const {
  return request("PUT", path, {}, body, timeouts_);
}

backend::Response ApiClient::del(const std::string& path) const {
  return request("DELETE", path, {}, nullptr, timeouts_);
}

backend::Response ApiClient::request(std::string_view method, const std::string& path,
                                     const backend::Query& query, const json& body,
                                     const backend::Timeouts& timeouts) const {
  try {
    auto response = backend_->request(method, path, query, body, timeouts);
    if (!response.ok())
      spdlog::info("tool {}: {} {} on {} answered HTTP {}", tool_, method, path,
                   backend_->describe(), response.status);
    return response;
  } catch (const backend::TransportError& e) {
    spdlog::warn("tool {}: {} {} on {} failed: {}", tool_, method, path, backend_->describe(),
                 e.what());
    throw;
  }
}

bool truthy(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return value.get<bool>();
    case json::value_t::number_integer: return value.get<std::int64_t>() != 0;
    case json::value_t::number_unsigned: return value.get<std::uint64_t>() != 0;
    case json::value_t::number_float: return value.get<double>() != 0.0;
    case json::value_t::string: return !value.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object: return !value.empty();
    default: return true;
  }
}

namespace {

// Byte offset just past the first `count` code points (or npos when the text is not longer).
std::size_t offset_after_chars(std::string_view text, std::size_t count) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) != 0x80) {  // the first byte of a code point
      if (chars == count) return i;
      ++chars;
    }
  }
  return std::string_view::npos;
}

long long clamp_ll(long long value) {
  constexpr long long limit = 1LL << 31;
  return std::clamp(value, -limit, limit);
}

}  // namespace

std::string prefix_chars(std::string_view text, std::size_t max_chars) {
  const auto end = offset_after_chars(text, max_chars);
  return std::string(end == std::string_view::npos ? text : text.substr(0, end));
}

std::string truncate_text(std::string_view text, std::size_t max_chars) {
  if (offset_after_chars(text, max_chars) == std::string_view::npos) return std::string(text);
  const std::size_t keep = max_chars >= 3 ? max_chars - 3 : 0;
  return prefix_chars(text, keep) + "...";
}

std::string as_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return util::compact_json(value);
}

std::string path_segment(std::string_view id, std::string_view name) {
  if (id.find_first_not_of('.') == std::string_view::npos)
    throw ArgumentError("Invalid " + std::string(name) + " '" + std::string(id) +
                        "': an id cannot be empty or only dots");
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

json page_slice(const json& items, long long page, long long per_page) {
  json out = json::array();
  if (!items.is_array()) return out;
  const auto size = static_cast<long long>(items.size());
  page = clamp_ll(page);
  per_page = clamp_ll(per_page);
  auto bound = [size](long long index) {
    if (index < 0) index = std::max(index + size, 0LL);
    return std::min(index, size);
  };
  const long long start = bound((page - 1) * per_page);
  const long long stop = bound(page * per_page);
  for (long long i = start; i < stop; ++i) out.push_back(items[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace mcpgate::tools::archon
