// A request's line and headers as they came off the wire: metered while they are read, then
// parsed again by mcpgate itself.
//
// cpp-httplib 0.11.4 (Debian's, compiled into its .so) reads a header line of any length into
// memory before it looks at it, counts no headers, percent-decodes every header value (a token
// containing "%41" can never match), skips bare-LF lines, and picks one of two Content-Length or
// Transfer-Encoding headers without a word: a proxy in front could frame the same bytes as
// different requests. So the connection's stream meters the head byte by byte as httplib reads it
// (HeadMeter: too long a line or too many headers ends the read at once), and the raw bytes are
// parsed here (parse_request_head) into the headers the routes see, refusing anything whose
// framing two HTTP implementations could read differently.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::server {

// Budgets of a request head. Each is enforced while the bytes arrive, before authentication.
struct HeadLimits {
  // A request line up to 8 KiB (the URI is almost all of it: MCP paths and session queries are
  // short; 8 KiB is what most proxies allow). Longer: 414.
  std::size_t request_line = 8 * 1024;
  // One header line, name and value. A bearer token or a cookie fits with room to spare; httplib
  // refuses longer ones itself, so this must not exceed its 8 KiB. Longer: 431.
  std::size_t header_line = 8 * 1024;
  // All header lines together: 64 KiB, eight times what a browser sends at most. More: 431.
  std::size_t header_bytes = 64 * 1024;
  // Header fields: real clients send about ten. More: 431.
  std::size_t header_count = 100;
};

// A request the server answers itself and then closes the connection after.
struct Refusal {
  int status = 400;
  std::string message;
};

// The reason phrase of the statuses a Refusal carries ("Payload Too Large").
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// Counts a head's bytes as they are read and keeps them for parse_request_head. One per
// connection, reused by each request on it.
class HeadMeter {
 public:
  enum class Verdict { within, uri_too_long, headers_too_large };

  explicit HeadMeter(HeadLimits limits) noexcept : limits_(limits) {}

  // A new request head starts. Memory kept from an unusually large head is given back.
  void begin();
  // One byte of the head. Past a budget the byte is not kept and the verdict says which budget.
  [[nodiscard]] Verdict feed(char byte);
  [[nodiscard]] std::string_view raw() const noexcept { return raw_; }
  [[nodiscard]] const HeadLimits& limits() const noexcept { return limits_; }
  // The refusal a verdict other than `within` stands for.
  [[nodiscard]] Refusal refusal(Verdict verdict) const;

 private:
  HeadLimits limits_;
  std::string raw_;
  std::size_t line_length_ = 0;
  std::size_t lines_ = 0;         // complete lines so far, the request line included
  std::size_t header_bytes_ = 0;  // bytes after the request line
};

// How a request's body is delimited, from its headers.
struct BodyFraming {
  enum class Kind { none, length, chunked };
  Kind kind = Kind::none;
  std::uint64_t length = 0;  // for Kind::length
  [[nodiscard]] bool has_body() const noexcept { return kind != Kind::none; }
};

// Parses the header lines of `raw` (a whole head: request line, header lines, blank line) into
// `headers`, values exactly as sent (trimmed, never decoded), and works out the body's framing.
// Refused with 400: a bare LF or a lone CR, a folded line, a field name that is not a token,
// Content-Length repeated, not a number or together with Transfer-Encoding, Transfer-Encoding
// repeated, no Host or two of them on HTTP/1.1. Refused with 501: a transfer coding other than
// chunked. A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3).
[[nodiscard]] std::optional<Refusal> parse_request_head(std::string_view raw,
                                                        std::string_view http_version,
                                                        httplib::Headers& headers,
                                                        BodyFraming& framing);

}  // namespace mcpgate::server
