#include "mcpgate/transport/sse.hpp"

namespace mcpgate::transport::sse {

std::string single_line(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  return out;
}

std::string event(std::string_view name, std::string_view id, std::string_view data) {
  std::string out;
  out.reserve(data.size() + name.size() + id.size() + 24);
  if (!name.empty()) out.append("event: ").append(single_line(name)).push_back('\n');
  if (!id.empty()) out.append("id: ").append(single_line(id)).push_back('\n');
  // Split on every line terminator SSE knows (CRLF, CR, LF); each piece is its own data line.
  std::size_t start = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    const bool end = i == data.size();
    if (!end && data[i] != '\n' && data[i] != '\r') continue;
    out.append("data: ");
    for (std::size_t k = start; k < i; ++k)
      if (data[k] != '\0') out.push_back(data[k]);
    out.push_back('\n');
    if (!end && data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out.push_back('\n');
  return out;
}

std::string priming(std::string_view id, long retry_ms) {
  std::string out = "id: " + single_line(id) + "\n";
  if (retry_ms > 0) out += "retry: " + std::to_string(retry_ms) + "\n";
  out += "data: \n\n";
  return out;
}

std::string comment(std::string_view text) { return ": " + single_line(text) + "\n\n"; }

}  // namespace mcpgate::transport::sse
