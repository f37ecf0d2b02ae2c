#include "mcpgate/knowledge/fts_query.hpp"
#include "mcpgate/util/text.hpp"

#include <algorithm>
#include <vector>

namespace mcpgate::knowledge {

namespace {

bool is_query_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The unicode61 tokenizer keeps letters and digits; any non-ASCII byte may belong to a letter.
bool searchable(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  });
}

std::string fts_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';  // FTS5 escapes a quote inside a string by doubling it
    out += c;
  }
  return out + '"';
}

}  // namespace

std::optional<std::string> fts_match_expression(std::string_view query, std::size_t max_words) {
  struct Word {
    std::string text;
    bool prefix = false;
  };
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < query.size() && words.size() < max_words) {
    while (i < query.size() && is_query_space(query[i])) ++i;
    const std::size_t start = i;
    while (i < query.size() && !is_query_space(query[i])) ++i;
    std::string_view word = query.substr(start, i - start);
    bool prefix = false;
    if (word.size() > 1 && word.back() == '*') {
      word.remove_suffix(1);
      prefix = true;
    }
    if (word.empty() || !searchable(word)) continue;
    const std::string key = util::ascii_lower(word);
    const bool seen = std::any_of(words.begin(), words.end(), [&](const Word& w) {
      return w.prefix == prefix && util::ascii_lower(w.text) == key;
    });
    if (!seen) words.push_back(Word{std::string(word), prefix});
  }
  if (words.empty()) return std::nullopt;

  std::string expression;
  std::string phrase;
  std::size_t phrase_words = 0;
  for (const Word& w : words) {
    if (w.prefix) continue;
    if (!phrase.empty()) phrase += ' ';
    phrase += w.text;
    ++phrase_words;
  }
  if (phrase_words >= 2) expression = fts_string(phrase);
  for (const Word& w : words) {
    if (!expression.empty()) expression += " OR ";
    expression += fts_string(w.text);
    if (w.prefix) expression += " *";
  }
  return expression;
}

}  // namespace mcpgate::knowledge
