// Last-Event-ID parsing (EventStream::parse_event_id) on arbitrary bytes: accepted ids are
// exactly "<alphanumeric stream id>.<decimal seq>" and format back to the same text.
#include "mcpgate/transport/event_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using mcpgate::transport::EventStream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto position = EventStream::parse_event_id(text);
  if (!position) return 0;
  if (position->stream_id.empty() || text.size() > 128) std::abort();
  for (char c : position->stream_id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) std::abort();
  // Leading zeros parse to the same number; compare numerically through the canonical form.
  const auto canonical = position->stream_id + "." + std::to_string(position->seq);
  const auto reparsed = EventStream::parse_event_id(canonical);
  if (!reparsed || reparsed->stream_id != position->stream_id || reparsed->seq != position->seq)
    std::abort();
  return 0;
}
