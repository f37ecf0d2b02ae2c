#include "mcpgate/server/request_head.hpp"

#include "mcpgate/util/text.hpp"

#include <algorithm>
#include <array>

namespace mcpgate::server {

namespace {

// A raw head stays this large at most between requests; a bigger one is given back.
constexpr std::size_t kept_capacity = 4 * 1024;

bool is_token_char(unsigned char c) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         specials.find(static_cast<char>(c)) != std::string_view::npos;
}

// Control characters other than HT have no place in a field value (RFC 9110 5.5); refusing them
// also keeps them out of every log line a header value may reach.
bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Refusal bad_request(std::string message) { return Refusal{400, "Bad Request: " + std::move(message)}; }

// 1*DIGIT that fits in 64 bits, nothing else (no sign, no spaces, no list).
std::optional<std::uint64_t> parse_length(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

void HeadMeter::begin() {
  if (raw_.capacity() > kept_capacity) std::string().swap(raw_);
  raw_.clear();
  line_length_ = 0;
  lines_ = 0;
  header_bytes_ = 0;
}

HeadMeter::Verdict HeadMeter::feed(char byte) {
  ++line_length_;
  if (lines_ == 0) {
    if (line_length_ > limits_.request_line) return Verdict::uri_too_long;
  } else {
    ++header_bytes_;
    if (line_length_ > limits_.header_line || header_bytes_ > limits_.header_bytes)
      return Verdict::headers_too_large;
  }
  raw_.push_back(byte);
  if (byte == '\n') {
    // The blank line that ends the head is no header field.
    if (lines_ > 0 && line_length_ > 2 && lines_ > limits_.header_count)
      return Verdict::headers_too_large;
    ++lines_;
    line_length_ = 0;
  }
  return Verdict::within;
}

Refusal HeadMeter::refusal(Verdict verdict) const {
  if (verdict == Verdict::uri_too_long)
    return Refusal{414, "URI Too Long: the request line is over " +
                            std::to_string(limits_.request_line) + " bytes"};
  return Refusal{431, "Request Header Fields Too Large: over " +
                          std::to_string(limits_.header_count) + " header fields, a line over " +
                          std::to_string(limits_.header_line) + " bytes or " +
                          std::to_string(limits_.header_bytes) + " bytes of headers in all"};
}

std::optional<Refusal> parse_request_head(std::string_view raw, std::string_view http_version,
                                          httplib::Headers& headers, BodyFraming& framing) {
  headers.clear();
  framing = BodyFraming{};
  const std::size_t first = raw.find('\n');
  if (first == std::string_view::npos) return bad_request("the request line has no end");
  std::string_view rest = raw.substr(first + 1);

  std::size_t hosts = 0;
  std::size_t lengths = 0;
  std::size_t encodings = 0;
  std::string_view length_value;
  std::string_view encoding_value;
  for (;;) {
    const std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) return bad_request("the headers have no end");
    if (end == 0 || rest[end - 1] != '\r') return bad_request("a header line ends in a bare LF");
    const std::string_view line = rest.substr(0, end - 1);
    rest.remove_prefix(end + 1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      return bad_request("a header line is folded (obsolete line folding)");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad_request("a header line has no field name");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); }))
      return bad_request("a header field name is not a token (no spaces before the colon)");
    const std::string_view value = trim(line.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), [](char c) { return is_value_char(static_cast<unsigned char>(c)); }))
      return bad_request("the value of header " + std::string(name) + " holds a control character");

    if (util::iequals(name, "Host")) ++hosts;
    if (util::iequals(name, "Content-Length")) {
      ++lengths;
      length_value = value;
    }
    if (util::iequals(name, "Transfer-Encoding")) {
      ++encodings;
      encoding_value = value;
    }
    headers.emplace(std::string(name), std::string(value));
  }

  const bool http11 = http_version == "HTTP/1.1";
  if (hosts > 1) return bad_request("more than one Host header");
  if (hosts == 0 && http11) return bad_request("no Host header");
  if (lengths > 1) return bad_request("more than one Content-Length header");
  if (encodings > 1) return bad_request("more than one Transfer-Encoding header");
  if (lengths == 1 && encodings == 1)
    return bad_request("both Content-Length and Transfer-Encoding: the body's length is ambiguous");
  if (encodings == 1) {
    if (!http11) return bad_request("Transfer-Encoding on an HTTP/1.0 request");
    if (!util::iequals(encoding_value, "chunked"))
      return Refusal{501, "Not Implemented: Transfer-Encoding '" + std::string(encoding_value) +
                              "' (only chunked is)"};
    framing.kind = BodyFraming::Kind::chunked;
  } else if (lengths == 1) {
    const auto length = parse_length(length_value);
    if (!length) return bad_request("Content-Length is not a number");
    if (*length > 0) {
      framing.kind = BodyFraming::Kind::length;
      framing.length = *length;
    }
  }
  return std::nullopt;
}

}  // namespace mcpgate::server
