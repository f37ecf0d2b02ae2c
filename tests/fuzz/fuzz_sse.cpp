// SSE framing (transport/sse.hpp) of arbitrary event names, ids and payloads: whatever the bytes,
// a browser-style parser reads back exactly one event with the same data (line endings
// normalised) and nothing can start a second event or a new field.
#include "mcpgate/transport/sse.hpp"

#include "../unit/sse_parse.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mcpgate;

namespace {

// What a reader must see as data: CRLF and CR become LF; NUL is dropped by the framer.
std::string expected_data(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else if (data[i] != '\0') {
      out.push_back(data[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(bytes), size);
  // Input layout: name \x1f id \x1f data (missing parts are empty).
  const auto first = all.find('\x1f');
  const auto second = first == std::string_view::npos ? first : all.find('\x1f', first + 1);
  const std::string_view name = all.substr(0, first);
  const std::string_view id =
      first == std::string_view::npos ? std::string_view{} : all.substr(first + 1, second - first - 1);
  const std::string_view data =
      second == std::string_view::npos ? std::string_view{} : all.substr(second + 1);

  const std::string frame = transport::sse::event(name, id, data);
  const auto parsed = test::parse_sse(frame);
  if (parsed.events.size() != 1) std::abort();
  const auto& event = parsed.events.front();
  if (event.data != expected_data(data)) std::abort();
  if (event.event != transport::sse::single_line(name)) std::abort();
  for (const auto& field : parsed.fields)
    if (field != "event" && field != "id" && field != "data") std::abort();

  const std::string note = transport::sse::comment(all);
  if (!test::parse_sse(note).events.empty()) std::abort();
  return 0;
}
