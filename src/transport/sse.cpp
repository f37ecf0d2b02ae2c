#include "mcpgate/transport/sse.hpp"

#include <algorithm>
#include <cstring>

namespace mcpgate::transport::sse {

namespace {

// Finds the CR, LF and NUL bytes of a payload with memchr, each searched for again only once the
// scan has passed it: fast on the long single-line JSON every answer is, and linear however many
// lines the data has.
class SpecialBytes {
 public:
  explicit SpecialBytes(std::string_view data) : data_(data) {}

  // The first CR, LF or NUL at or after `from`, or npos.
  std::size_t next(std::size_t from) {
    return std::min({find(cr_, '\r', from), find(lf_, '\n', from), find(nul_, '\0', from)});
  }

 private:
  struct Cached {
    bool searched = false;
    std::size_t at = 0;  // npos once there is none left
  };

  std::size_t find(Cached& cached, char byte, std::size_t from) {
    if (!cached.searched || (cached.at != std::string_view::npos && cached.at < from)) {
      const void* hit = from < data_.size() ? std::memchr(data_.data() + from, byte, data_.size() - from)
                                            : nullptr;
      cached.at = hit == nullptr ? std::string_view::npos
                                 : static_cast<std::size_t>(static_cast<const char*>(hit) - data_.data());
      cached.searched = true;
    }
    return cached.at;
  }

  std::string_view data_;
  Cached cr_, lf_, nul_;
};

}  // namespace

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
  // NUL bytes are dropped (some parsers end the data there).
  SpecialBytes special(data);
  out.append("data: ");
  std::size_t start = 0;
  while (true) {
    const std::size_t at = special.next(start);
    out.append(data.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
    if (data[at] == '\0') continue;
    out.append("\ndata: ");
    if (data[at] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out.append("\n\n");
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
