#include "mcpgate/util/compact_json.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace mcpgate::util {

using json = nlohmann::json;

namespace {

// nlohmann escapes a string one byte at a time through a UTF-8 decoder, which was a tenth of a
// forwarded call's instructions. Here an ASCII string (everything the protocol itself writes) is
// measured, then written in place; a string with any other byte is left to nlohmann, so the
// validation and replacement of invalid UTF-8 stay nlohmann's.
class CompactWriter {
 public:
  explicit CompactWriter(std::string& out) : out_(out) {}

  void value(const json& v) {
    switch (v.type()) {
      case json::value_t::null: out_ += "null"; return;
      case json::value_t::boolean: out_ += v.get<bool>() ? "true" : "false"; return;
      case json::value_t::number_integer: integer(v.get<std::int64_t>()); return;
      case json::value_t::number_unsigned: integer(v.get<std::uint64_t>()); return;
      case json::value_t::string: string(v.get_ref<const std::string&>()); return;
      case json::value_t::object: object(v); return;
      case json::value_t::array: array(v); return;
      default:  // floats, binary and discarded values are rare: nlohmann writes them
        out_ += v.dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
  }

 private:
  template <typename Integer>
  void integer(Integer number) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof(buffer), number).ptr;
    out_.append(buffer, end);
  }

  void object(const json& v) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, member] : v.get_ref<const json::object_t&>()) {
      if (!first) out_ += ',';
      first = false;
      string(key);
      out_ += ':';
      value(member);
    }
    out_ += '}';
  }

  void array(const json& v) {
    out_ += '[';
    bool first = true;
    for (const auto& element : v.get_ref<const json::array_t&>()) {
      if (!first) out_ += ',';
      first = false;
      value(element);
    }
    out_ += ']';
  }

  // Two tight passes: measure the escaped length, then write into place. Appending run by run
  // cost two out-of-line appends per quote, and a JSON text carried as a string is mostly quotes.
  void string(const std::string& text) {
    std::size_t length = text.size() + 2;
    for (const char c : text) {
      const std::uint8_t extra = kExtra[static_cast<unsigned char>(c)];
      if (extra == kNotAscii) {
        out_ += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
        return;
      }
      length += extra;
    }
    const std::size_t start = out_.size();
    out_.resize(start + length);
    char* w = out_.data() + start;
    *w++ = '"';
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (kExtra[byte] == 0) {
        *w++ = c;
        continue;
      }
      *w++ = '\\';
      switch (byte) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\b': *w++ = 'b'; break;
        case '\f': *w++ = 'f'; break;
        case '\n': *w++ = 'n'; break;
        case '\r': *w++ = 'r'; break;
        case '\t': *w++ = 't'; break;
        default: {
          static constexpr char hex[] = "0123456789abcdef";
          *w++ = 'u';
          *w++ = '0';
          *w++ = '0';
          *w++ = hex[byte >> 4];
          *w++ = hex[byte & 0xF];
        }
      }
    }
    *w = '"';
  }

  // How many bytes each byte grows by when escaped; kNotAscii for the bytes left to nlohmann.
  static constexpr std::uint8_t kNotAscii = 0xFF;
  static constexpr auto kExtra = [] {
    std::array<std::uint8_t, 256> extra{};
    for (int b = 0; b < 0x20; ++b) extra[b] = 5;  // \u00XX
    for (const char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'})
      extra[static_cast<unsigned char>(c)] = 1;
    for (int b = 0x80; b < 256; ++b) extra[b] = kNotAscii;
    return extra;
  }();

  std::string& out_;
};

}  // namespace

std::string compact_json(const json& value) {
  std::string out;
  CompactWriter(out).value(value);
  return out;
}

}  // namespace mcpgate::util
