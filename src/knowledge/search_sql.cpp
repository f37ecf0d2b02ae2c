#include "mcpgate/knowledge/search_sql.hpp"

namespace mcpgate::knowledge {

namespace {

// What differs between the two searchable tables: the name, the FTS5 table and its bm25()
// column weights, the count kept in knowledge_sources, and the columns of a result.
struct SearchTableText {
  std::string_view table, fts_table, bm25_weights, source_count, alias, columns;
};

SearchTableText table_text(SearchTable table) {
  if (table == SearchTable::chunks) {
    return SearchTableText{
        .table = "knowledge_chunks",
        .fts_table = "knowledge_chunks_fts",
        .bm25_weights = "1.0, 2.0",  // content, heading
        .source_count = "chunk_count",
        .alias = "k",
        .columns = "k.id, k.page_id, k.source_id, p.url, p.section_title, k.content, "
                   "k.chunk_number, p.word_count, m.score",
    };
  }
  return SearchTableText{
      .table = "knowledge_code_examples",
      .fts_table = "knowledge_code_examples_fts",
      .bm25_weights = "1.0, 2.0, 1.0",  // content, summary, language
      .source_count = "code_example_count",
      .alias = "e",
      .columns = "e.id, e.page_id, e.source_id, p.url, p.section_title, e.language, e.summary, "
                 "e.content, e.example_number, m.score",
  };
}

std::string str(std::string_view s) { return std::string(s); }

// Ranked on the index alone (plus the row's source_id when filtering), and only the top ?3
// rows are joined for their text: a common word matches most rows, and carrying every match's
// content through the sort would cost far more than the ranking.
std::string sqlite_search(const SearchTableText& t, bool by_source) {
  const std::string bm25 = "bm25(" + str(t.fts_table) + ", " + str(t.bm25_weights) + ")";
  const std::string ranked =
      by_source ? "SELECT " + str(t.fts_table) + ".rowid AS id, " + bm25 + " AS score FROM " +
                      str(t.fts_table) + " JOIN " + str(t.table) + " AS x ON x.id = " +
                      str(t.fts_table) + ".rowid WHERE " + str(t.fts_table) +
                      " MATCH ?1 AND x.source_id = ?2 ORDER BY score LIMIT ?3"
                : "SELECT rowid AS id, " + bm25 + " AS score FROM " + str(t.fts_table) +
                      " WHERE " + str(t.fts_table) +
                      " MATCH ?1 AND ?2 IS NULL ORDER BY score LIMIT ?3";
  return "SELECT " + str(t.columns) + " FROM (" + ranked + ") AS m JOIN " + str(t.table) + " " +
         str(t.alias) + " ON " + str(t.alias) + ".id = m.id JOIN knowledge_pages p ON p.id = " +
         str(t.alias) + ".page_id ORDER BY m.score, " + str(t.alias) + ".id";
}

// BM25 over the tsvector (see the header): `matched` holds the rows the whole expression
// matches with their lengths, `term` each query term's tsquery and idf, `ranked` the top ?3.
// A row's length is its word count, as FTS5's: ts_rank_cd's normalization 2 divides by exactly
// that (the positions in the tsvector), so the ratio of the plain rank to it gives it back, with
// no unnest() of every matched vector (which tripled the query's time). A term's match count is
// taken from `matched` when no source narrows it (the expression is the OR of the terms, so
// every row a term matches is there): a scan of the whole table per term cost half the query.
// Weights are {D, C, B, A}; ts_rank_cd refuses weights above 1, hence B = 0.5, A = 1 and the
// factor 2.
std::string postgresql_search(const SearchTableText& t) {
  const std::string table = str(t.table);
  return "WITH matched AS MATERIALIZED ("
         "  SELECT id, search, coalesce(round(ts_rank_cd(search, q) / nullif(ts_rank_cd(search, q, 2), 0)), "
         "                              length(search)) AS len"
         "  FROM " + table + ", to_tsquery('english', CAST(?1 AS TEXT)) AS q"
         "  WHERE search @@ q AND (CAST(?2 AS TEXT) IS NULL OR source_id = ?2)), "
         "term AS MATERIALIZED ("
         "  SELECT w.q, greatest(ln((greatest(n.total, h.hits) - h.hits + 0.5) / (h.hits + 0.5)), "
         "                       1e-6) AS idf"
         "  FROM (SELECT to_tsquery('english', x) AS q "
         "        FROM unnest(string_to_array(CAST(?1 AS TEXT), ' | ')) AS x OFFSET 0) AS w"
         "  CROSS JOIN (SELECT CAST(coalesce(sum(" + str(t.source_count) + "), 0) AS float8) AS total"
         "              FROM knowledge_sources) AS n"
         "  CROSS JOIN LATERAL (SELECT CAST(count(*) AS float8) AS hits"
         "                      FROM (SELECT search FROM matched WHERE CAST(?2 AS TEXT) IS NULL"
         "                            UNION ALL SELECT search FROM " + table +
         "                            WHERE CAST(?2 AS TEXT) IS NOT NULL) AS pool"
         "                      WHERE pool.search @@ w.q) AS h), "
         "ranked AS ("
         "  SELECT r.id, -sum(term.idf * f.tf * 2.2 / (f.tf + r.norm)) AS score"
         "  FROM (SELECT id, search, 1.2 * (0.25 + 0.75 * len / (SELECT avg(len) FROM matched)) AS norm"
         "        FROM matched) AS r"
         "  CROSS JOIN term"
         "  CROSS JOIN LATERAL (SELECT 2 * ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', r.search, term.q) AS tf"
         "                      OFFSET 0) AS f"
         "  GROUP BY r.id ORDER BY score, r.id LIMIT ?3) "
         "SELECT " + str(t.columns) + " FROM ranked m JOIN " + table + " " + str(t.alias) + " ON " +
         str(t.alias) + ".id = m.id JOIN knowledge_pages p ON p.id = " + str(t.alias) +
         ".page_id ORDER BY m.score, " + str(t.alias) + ".id";
}

}  // namespace

std::string search_sql(std::string_view engine, SearchTable table, bool by_source) {
  const SearchTableText text = table_text(table);
  return engine == "postgresql" ? postgresql_search(text) : sqlite_search(text, by_source);
}

}  // namespace mcpgate::knowledge
