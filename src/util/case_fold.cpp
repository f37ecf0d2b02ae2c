#include "mcpgate/util/case_fold.hpp"

#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <new>

namespace mcpgate::util {

namespace {

// Text is folded in pieces of at most this many bytes: ICU's strings count in int32_t, and the
// UTF-16 copies of one piece stay small however long the text is. Default case folding has no
// context (each code point maps on its own), so cutting between code points changes nothing.
constexpr std::size_t piece_bytes = 64 * 1024;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where to end a piece that starts at `start`: at most piece_bytes on, moved back before a
// sequence the cut would split. A run of more than 3 continuation bytes is ill-formed however it
// is cut (each byte becomes its own U+FFFD), so the search stops after 3.
std::size_t piece_end(std::string_view text, std::size_t start) {
  if (text.size() - start <= piece_bytes) return text.size();
  std::size_t end = start + piece_bytes;
  for (int back = 0; back < 3 && is_continuation(text[end]); ++back) --end;
  return is_continuation(text[end]) ? start + piece_bytes : end;
}

void append_folded(std::string_view piece, std::string& out) {
  // fromUTF8 turns each ill-formed sequence into U+FFFD.
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(piece.data(), static_cast<int32_t>(piece.size())));
  text.foldCase(U_FOLD_CASE_DEFAULT);
  if (text.isBogus()) throw std::bad_alloc();  // ICU's way of saying an allocation failed
  text.toUTF8String(out);
}

}  // namespace

std::string fold_case(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t start = 0; start < utf8.size();) {
    const std::size_t end = piece_end(utf8, start);
    append_folded(utf8.substr(start, end - start), out);
    start = end;
  }
  return out;
}

bool contains_folded(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  return fold_case(haystack).find(fold_case(needle)) != std::string::npos;
}

bool equals_folded(std::string_view a, std::string_view b) { return fold_case(a) == fold_case(b); }

}  // namespace mcpgate::util
