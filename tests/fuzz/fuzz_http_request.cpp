// A request as bytes off the wire: the head through HeadMeter and parse_request_head, then the
// body through read_request_body with the encoding the head names. Never a crash, never a body
// past its budget, never a byte read past a Content-Length body.
#include "mcpgate/server/request_body.hpp"
#include "mcpgate/server/request_head.hpp"
#include "request_bytes.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t max_body = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpgate::server;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  HeadMeter meter(HeadLimits{.request_line = 256, .header_line = 256, .header_bytes = 1024, .header_count = 16});
  meter.begin();
  std::size_t at = 0;
  for (; at < input.size(); ++at) {
    if (meter.feed(input[at]) != HeadMeter::Verdict::within) {
      if (meter.raw().size() > 256 + 1024) std::abort();
      return 0;
    }
    if (meter.raw().size() >= 4 && meter.raw().substr(meter.raw().size() - 4) == "\r\n\r\n") break;
  }
  if (at == input.size()) return 0;
  httplib::Headers headers;
  BodyFraming framing;
  if (parse_request_head(meter.raw(), "HTTP/1.1", headers, framing)) return 0;
  for (const auto& [name, value] : headers)
    if (value.find_first_of("\r\n") != std::string::npos || name.empty()) std::abort();
  const auto encoding = headers.find("Content-Encoding");
  const std::string_view rest = input.substr(at + 1);
  mcpgate::test::BytesStream stream{std::string(rest)};
  std::string body;
  const auto refusal = read_request_body(stream, framing, encoding == headers.end() ? "" : encoding->second,
                                         max_body, body);
  if (body.size() > max_body) std::abort();
  if (!refusal && framing.kind == BodyFraming::Kind::length && stream.consumed() != framing.length &&
      (encoding == headers.end() || encoding->second.empty()))
    std::abort();
  if (stream.consumed() > rest.size()) std::abort();
  return 0;
}
