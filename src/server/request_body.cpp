#include "mcpgate/server/request_body.hpp"

#include "mcpgate/util/text.hpp"

#include <zlib.h>

#include <array>
#include <memory>

namespace mcpgate::server {

namespace {

// A chunk-size line ("1f4;name=value") and all trailer lines together: generous for what real
// clients send (they send none), small enough to be nothing to hold.
constexpr std::size_t max_chunk_line = 1024;
constexpr std::size_t max_trailer_bytes = 8 * 1024;

Refusal too_large(std::size_t max_body, std::string_view what) {
  return Refusal{413, "Payload Too Large: the " + std::string(what) + " is over the limit of " +
                          std::to_string(max_body) + " bytes (--max-body)"};
}

Refusal bad_body(std::string message) { return Refusal{400, "Bad Request: " + std::move(message)}; }

// Where the wire's bytes go: straight into the body, or through an inflater.
class BodySink {
 public:
  BodySink(std::string& body, std::size_t max_body) : body_(body), max_body_(max_body) {}
  virtual ~BodySink() = default;
  BodySink(const BodySink&) = delete;
  BodySink& operator=(const BodySink&) = delete;
  virtual std::optional<Refusal> put(const char* data, std::size_t size) = 0;
  virtual std::optional<Refusal> finish() = 0;

 protected:
  std::optional<Refusal> append(const char* data, std::size_t size) {
    if (size > max_body_ - body_.size()) return too_large(max_body_, "inflated body");
    body_.append(data, size);
    return std::nullopt;
  }

 private:
  std::string& body_;
  std::size_t max_body_;
};

class PlainSink final : public BodySink {
 public:
  using BodySink::BodySink;
  std::optional<Refusal> put(const char* data, std::size_t size) override { return append(data, size); }
  std::optional<Refusal> finish() override { return std::nullopt; }
};

// gzip and deflate (zlib's window bits 15 + 32 accept both wrappers). Inflates as the bytes
// arrive, so only the inflated body is ever held, and only up to the budget.
class InflateSink final : public BodySink {
 public:
  InflateSink(std::string& body, std::size_t max_body) : BodySink(body, max_body) {
    ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
  }
  ~InflateSink() override {
    if (ok_) inflateEnd(&zs_);
  }
  InflateSink(const InflateSink&) = delete;
  InflateSink& operator=(const InflateSink&) = delete;

  std::optional<Refusal> put(const char* data, std::size_t size) override {
    if (!ok_) return Refusal{500, "Internal Server Error: cannot inflate"};
    if (ended_) return size == 0 ? std::nullopt : std::optional(bad_body("bytes after the end of the compressed body"));
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(size);
    while (zs_.avail_in > 0 && !ended_) {
      std::array<char, 16 * 1024> out{};
      zs_.next_out = reinterpret_cast<Bytef*>(out.data());
      zs_.avail_out = static_cast<uInt>(out.size());
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        return bad_body("the body does not inflate (Content-Encoding)");
      if (auto refusal = append(out.data(), out.size() - zs_.avail_out)) return refusal;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        if (zs_.avail_in > 0) return bad_body("bytes after the end of the compressed body");
      } else if (rc == Z_BUF_ERROR && zs_.avail_out > 0) {
        break;  // needs more input
      }
    }
    return std::nullopt;
  }
  std::optional<Refusal> finish() override {
    if (!ended_) return bad_body("the compressed body is cut short");
    return std::nullopt;
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
  bool ended_ = false;
};

bool is_identity(std::string_view encoding) {
  return encoding.empty() || util::iequals(encoding, "identity");
}

bool is_inflatable(std::string_view encoding) {
  return util::iequals(encoding, "gzip") || util::iequals(encoding, "x-gzip") ||
         util::iequals(encoding, "deflate");
}

// Exactly `length` bytes into the sink.
std::optional<Refusal> copy_length(httplib::Stream& stream, std::uint64_t length, BodySink& sink) {
  std::array<char, 16 * 1024> buffer{};
  while (length > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    const ssize_t n = stream.read(buffer.data(), want);
    if (n <= 0) return bad_body("the connection ended before the whole body arrived");
    if (auto refusal = sink.put(buffer.data(), static_cast<std::size_t>(n))) return refusal;
    length -= static_cast<std::uint64_t>(n);
  }
  return std::nullopt;
}

// One CRLF-terminated line of at most `max` bytes (CRLF excluded) into `line`.
bool read_line(httplib::Stream& stream, std::size_t max, std::string& line) {
  line.clear();
  for (;;) {
    char c = 0;
    if (stream.read(&c, 1) != 1) return false;
    if (c == '\n') {
      if (line.empty() || line.back() != '\r') return false;
      line.pop_back();
      return true;
    }
    if (line.size() > max) return false;
    line.push_back(c);
  }
}

std::optional<std::uint64_t> parse_chunk_size(std::string_view line) {
  const std::string_view digits = line.substr(0, line.find(';'));
  std::size_t end = digits.size();
  while (end > 0 && (digits[end - 1] == ' ' || digits[end - 1] == '\t')) --end;
  if (end == 0 || end > 15) return std::nullopt;  // 15 hex digits: far past any budget
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = digits[i];
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return std::nullopt;
    value = value * 16 + static_cast<std::uint64_t>(digit);
  }
  return value;
}

std::optional<Refusal> copy_chunked(httplib::Stream& stream, std::size_t max_body, BodySink& sink) {
  std::string line;
  std::uint64_t total = 0;
  // The chunk-size lines count against the budget too: a body of one-byte chunks with long
  // extensions would otherwise cost a thousand wire bytes per byte kept.
  std::uint64_t overhead = 0;
  for (;;) {
    if (!read_line(stream, max_chunk_line, line)) return bad_body("a chunk-size line is malformed");
    overhead += line.size() + 2;
    if (overhead > max_body) return too_large(max_body, "chunked body's framing");
    const auto size = parse_chunk_size(line);
    if (!size) return bad_body("a chunk size is not a hexadecimal number");
    if (*size == 0) break;
    total += *size;
    if (total > max_body) return too_large(max_body, "chunked body");
    if (auto refusal = copy_length(stream, *size, sink)) return refusal;
    if (!read_line(stream, 0, line) || !line.empty()) return bad_body("a chunk does not end in CRLF");
  }
  // Trailer fields are read and dropped: nothing here uses them.
  std::size_t trailer_bytes = 0;
  for (;;) {
    if (!read_line(stream, max_trailer_bytes, line)) return bad_body("a trailer line is malformed");
    if (line.empty()) return std::nullopt;
    trailer_bytes += line.size();
    if (trailer_bytes > max_trailer_bytes) return bad_body("the trailer fields are too large");
  }
}

}  // namespace

std::optional<Refusal> check_body(const BodyFraming& framing, std::string_view content_encoding,
                                  std::size_t max_body) {
  if (!framing.has_body()) return std::nullopt;
  if (!is_identity(content_encoding) && !is_inflatable(content_encoding))
    return Refusal{415, "Unsupported Media Type: Content-Encoding '" +
                            util::printable(content_encoding) + "' (gzip and deflate are accepted)"};
  if (framing.kind == BodyFraming::Kind::length && framing.length > max_body)
    return too_large(max_body, "body of " + std::to_string(framing.length) + " bytes");
  return std::nullopt;
}

std::optional<Refusal> read_request_body(httplib::Stream& stream, const BodyFraming& framing,
                                         std::string_view content_encoding, std::size_t max_body,
                                         std::string& body) {
  body.clear();
  if (auto refusal = check_body(framing, content_encoding, max_body)) return refusal;
  if (!framing.has_body()) return std::nullopt;

  std::unique_ptr<BodySink> sink;
  if (is_identity(content_encoding)) {
    if (framing.kind == BodyFraming::Kind::length) body.reserve(static_cast<std::size_t>(framing.length));
    sink = std::make_unique<PlainSink>(body, max_body);
  } else {
    sink = std::make_unique<InflateSink>(body, max_body);
  }
  auto refusal = framing.kind == BodyFraming::Kind::length
                     ? copy_length(stream, framing.length, *sink)
                     : copy_chunked(stream, max_body, *sink);
  if (!refusal) refusal = sink->finish();
  if (refusal) std::string().swap(body);
  return refusal;
}

}  // namespace mcpgate::server
