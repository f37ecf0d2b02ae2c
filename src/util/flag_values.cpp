#include "mcpgate/util/flag_values.hpp"

#include "mcpgate/util/text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace mcpgate::util {

namespace {

std::string shown(std::string_view text) { return "'" + printable(text, 40) + "'"; }

// 0.001 -> "0.001", 86400 -> "86400": the bounds as an operator would write them.
std::string number_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::optional<std::string> refuse_seconds(std::string_view text, double min, double max) {
  const std::string range = "a number of seconds from " + number_text(min) + " to " + number_text(max);
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end)
    return "expected " + range + ", got " + shown(text);
  if (!std::isfinite(value)) return "expected " + range + ", got " + shown(text) + " (not finite)";
  if (value < min || value > max) return "expected " + range + ", got " + shown(text);
  return std::nullopt;
}

std::optional<std::string> refuse_whole_number(std::string_view text, std::uint64_t min,
                                               std::uint64_t max) {
  const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value, 10);
  // from_chars takes no sign, space or prefix; a '-' fails it, so "-1" never wraps around.
  if (text.empty() || error != std::errc() || ptr != end)
    return "expected " + range + " in decimal digits, got " + shown(text);
  if (value < min || value > max) return "expected " + range + ", got " + shown(text);
  return std::nullopt;
}

}  // namespace mcpgate::util
