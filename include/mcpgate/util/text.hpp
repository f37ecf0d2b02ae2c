// Small ASCII text helpers for HTTP header values (which are ASCII by definition).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace mcpgate::util {

[[nodiscard]] inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[nodiscard]] inline std::string trim(std::string_view text) {
  std::size_t start = 0, end = text.size();
  while (start < end && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  while (end > start && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(start, end - start));
}

}  // namespace mcpgate::util
