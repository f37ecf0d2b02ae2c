// The knowledge base's ranked searches as SQL, one text per engine, with the same parameters,
// columns and ranking: Okapi BM25 (k1 = 1.2, b = 0.75), heading or summary words weighing twice
// body words.
//
//   SQLite      FTS5's bm25() over the external-content FTS tables (knowledge/store.cpp).
//   PostgreSQL  the same formula written out in SQL over the stored tsvector and its GIN index.
//               ts_rank_cd alone is no BM25: it has no inverse document frequency, so in
//               "server quetzalcoatlus" a chunk that says "server" five times outranked the one
//               page that holds the rare word. Here each query term (the phrase, then each word:
//               the operands of tsquery_expression) gets
//                 idf = ln((N - n + 0.5) / (n + 0.5)), at least 1e-6 (FTS5's floor),
//               with N the rows (the sources' counts) and n the rows the term matches (the GIN
//               index), and a row's term frequency is ts_rank_cd of that term alone with
//               weights B = 1, A = 2 (one single-word cover per occurrence, so it counts
//               occurrences, heading ones twice), saturated as FTS5 does. Differences from
//               FTS5: a row's length is its number of distinct lexemes (a tsvector keeps no
//               token count), and the average length is over the matching rows rather than
//               the table. Rankings agree where it matters (a rare term decides, more
//               occurrences rank higher, of equal counts the shorter row wins); the scores
//               differ a little.
//
// Parameters: ?1 the match expression (fts_match_expression for SQLite, tsquery_expression for
// PostgreSQL), ?2 the source_id or NULL for every source, ?3 the limit. The score, last column,
// is negative and lower is better, as bm25() is.
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::knowledge {

enum class SearchTable {
  // Columns: id, page_id, source_id, url, section_title, content, chunk_number,
  // page word_count, score.
  chunks,
  // Columns: id, page_id, source_id, url, section_title, language, summary, content,
  // example_number, score.
  code_examples,
};

// `engine` is store::Database::kind() ("sqlite" or "postgresql"). `by_source`: whether ?2 will
// hold a source_id (SQLite ranks a filtered search through a join, an unfiltered one on the
// index alone).
[[nodiscard]] std::string search_sql(std::string_view engine, SearchTable table, bool by_source);

}  // namespace mcpgate::knowledge
