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
//               occurrences, heading ones twice), saturated as FTS5 does, with the row's
//               word count as its length. Differences from FTS5: stop words ("the", "of") are
//               not in a tsvector, so neither counted in a length nor searchable, and the
//               average length is over the matching rows rather than the table. On a generated
//               corpus of 16,000 chunks, ten queries' top tens were the same rows as SQLite's
//               (100 of 100; 46 of 100 with ts_rank_cd alone).
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
