// A user's search words -> a safe SQLite FTS5 MATCH expression. Users type keywords, not FTS5
// syntax: every word is quoted (so AND/OR/NEAR, column filters, parentheses and stray quotes
// are plain text and can never make the MATCH fail), words are OR-ed so a page that lacks one
// of them can still rank, and for two or more words the whole query is added as a phrase, which
// lifts pages where the words stand together. A word ending in '*' is a prefix search.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::knowledge {

// nullopt when the query holds no searchable word (empty, blank, or only punctuation).
// At most max_words distinct words are used.
[[nodiscard]] std::optional<std::string> fts_match_expression(std::string_view query,
                                                              std::size_t max_words = 32);

// The same search for PostgreSQL: a to_tsquery() text with the same words OR-ed (|), the whole
// query as a phrase (<->) for two or more words, and prefix words as word:*. Each word keeps
// only its letters and digits (several runs become a phrase), so no user text is tsquery
// syntax. nullopt as above. The text is its terms, each in parentheses, joined by " | " (the
// phrase first): PostgreSQL's ranking splits it there to weigh each term (search_sql.hpp).
//   "JWT refresh" -> "(JWT <-> refresh) | (JWT) | (refresh)"
[[nodiscard]] std::optional<std::string> tsquery_expression(std::string_view query,
                                                            std::size_t max_words = 32);

}  // namespace mcpgate::knowledge
