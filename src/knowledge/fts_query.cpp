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

namespace {

struct QueryWord {
  std::string text;
  bool prefix = false;
};

// The query's distinct searchable words (a trailing '*' marks a prefix), at most max_words.
std::vector<QueryWord> query_words(std::string_view query, std::size_t max_words) {
  std::vector<QueryWord> words;
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
    const bool seen = std::any_of(words.begin(), words.end(), [&](const QueryWord& w) {
      return w.prefix == prefix && util::ascii_lower(w.text) == key;
    });
    if (!seen) words.push_back(QueryWord{std::string(word), prefix});
  }
  return words;
}

// A word as tsquery operands: its runs of letters and digits (any non-ASCII byte counts as a
// letter), joined as a phrase ("foo-bar" -> "foo <-> bar"). Nothing else survives, so no
// user text can be tsquery syntax.
std::string ts_operand(std::string_view word, bool prefix) {
  std::string out;
  std::string run;
  const auto flush = [&] {
    if (run.empty()) return;
    if (!out.empty()) out += " <-> ";
    out += run;
    run.clear();
  };
  for (char c : word) {
    if (searchable(std::string_view(&c, 1))) run += c;
    else flush();
  }
  flush();
  if (prefix && !out.empty()) out += ":*";
  return out;
}

}  // namespace

std::optional<std::string> fts_match_expression(std::string_view query, std::size_t max_words) {
  const std::vector<QueryWord> words = query_words(query, max_words);
  if (words.empty()) return std::nullopt;

  std::string expression;
  std::string phrase;
  std::size_t phrase_words = 0;
  for (const QueryWord& w : words) {
    if (w.prefix) continue;
    if (!phrase.empty()) phrase += ' ';
    phrase += w.text;
    ++phrase_words;
  }
  if (phrase_words >= 2) expression = fts_string(phrase);
  for (const QueryWord& w : words) {
    if (!expression.empty()) expression += " OR ";
    expression += fts_string(w.text);
    if (w.prefix) expression += " *";
  }
  return expression;
}

std::optional<std::string> tsquery_expression(std::string_view query, std::size_t max_words) {
  const std::vector<QueryWord> words = query_words(query, max_words);
  std::vector<std::string> operands;
  std::string phrase;
  std::size_t phrase_words = 0;
  for (const QueryWord& w : words) {
    std::string operand = ts_operand(w.text, w.prefix);
    if (operand.empty()) continue;
    if (!w.prefix) {
      if (!phrase.empty()) phrase += " <-> ";
      phrase += operand;
      ++phrase_words;
    }
    operands.push_back("(" + operand + ")");
  }
  if (operands.empty()) return std::nullopt;
  std::string expression = phrase_words >= 2 ? "(" + phrase + ")" : "";
  for (const auto& operand : operands) {
    if (!expression.empty()) expression += " | ";
    expression += operand;
  }
  return expression;
}

}  // namespace mcpgate::knowledge
