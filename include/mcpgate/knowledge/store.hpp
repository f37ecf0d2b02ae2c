// The knowledge base in the embedded SQLite database: sources, the files ingested into them,
// their pages, chunks and code examples, and FTS5 indexes (porter + unicode61 tokenizer) that
// rank chunks and code examples with BM25. No embedding model: search is keyword search.
//
// Tables (migration 2):
//   knowledge_sources        one per `mcpgate ingest --source NAME` (source_id = NAME)
//   knowledge_files          one per ingested file or web page: path, url, content hash
//                            (idempotent re-ingest); migration 4 adds a web page's etag,
//                            last_modified and links (web_ingest.hpp)
//   knowledge_pages          pages of a file; deleting a file row cascades to pages, chunks and
//   knowledge_chunks         code examples, and triggers keep the external-content FTS tables
//   knowledge_code_examples  (knowledge_chunks_fts, knowledge_code_examples_fts) in step.
//
// Scores. BM25 on both engines (FTS5's bm25() on SQLite, the same formula in SQL over a
// tsvector on PostgreSQL: knowledge/search_sql.hpp), negative, lower is better; results carry
// similarity = s / (1 + s) with s = -bm25, a number in (0, 1) that grows with relevance. It is
// comparable within one query only (it is not a cosine similarity).
#pragma once

#include "mcpgate/knowledge/splitter.hpp"
#include "mcpgate/store/database.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mcpgate::knowledge {

// Migration 2 of the embedded database (after version 1, the project/task schema).
[[nodiscard]] store::Migration knowledge_migration();
// Migration 4: what a web crawl keeps per page for the next run (knowledge_files.etag,
// last_modified: its validators for conditional requests; links: the page's links, so a page
// that answers 304 still leads the crawl to the pages it links to).
[[nodiscard]] store::Migration knowledge_web_migration();

// ---------------------------------------------------------------------------------------------
// Records

struct SourceRecord {
  std::string source_id;
  std::string title;
  std::string url_base;
  std::string summary;
  std::int64_t file_count = 0, page_count = 0, chunk_count = 0, code_example_count = 0;
  std::int64_t total_words = 0;
  std::string created_at, updated_at;
};

// What the ingester knows about a file from the last run.
struct FileState {
  std::string url;
  std::string content_hash;
  std::string etag, last_modified;  // web pages: the validators the server sent
  std::vector<std::string> links;   // web pages: the links found on the page
};

// One file to (re)index: its previous pages, chunks and examples are replaced.
struct FileDocument {
  std::string path;          // identity of the file within its source (absolute path)
  std::string url;           // URL of the file; page k > 0 gets "#<heading-anchor>" appended
  std::string content_hash;  // compared on the next run
  std::int64_t size_bytes = 0;
  std::string kind;          // "markdown", "text", "source"
  std::string language;
  SplitDocument document;
  std::string etag, last_modified;  // web pages (see FileState)
  std::vector<std::string> links;
};

struct PageSummary {  // GET /api/pages items
  std::string id, url, section_title;
  std::int64_t section_order = 0, word_count = 0, char_count = 0, chunk_count = 0;
};

struct PageRecord {  // GET /api/pages/{id}
  PageSummary summary;
  std::string source_id;
  std::string full_content;
  std::string metadata;  // JSON object text
  std::string created_at, updated_at;
};

struct ChunkHit {
  std::int64_t id = 0;
  std::string page_id, source_id, url, section_title, content;
  std::int64_t chunk_number = 0;
  std::int64_t page_word_count = 0;
  double similarity = 0;
};

struct PageHit {
  std::string page_id, source_id, url, section_title;
  std::int64_t word_count = 0;
  std::int64_t chunk_matches = 0;
  double aggregate_similarity = 0;
  double average_similarity = 0;
};

struct CodeExampleHit {
  std::int64_t id = 0;
  std::string page_id, source_id, url, section_title, language, summary, content;
  std::int64_t example_number = 0;
  double similarity = 0;
};

// Pages mode: chunk hits grouped by page. A page scores its best chunk's similarity, lifted by
// 5% for each further matching chunk (at most +25%), so a page that discusses the query in
// several places ranks above one that mentions it once, but one strong match still counts
// most. Ordered by that score (ties: more matches, then page id), at most match_count pages.
[[nodiscard]] std::vector<PageHit> aggregate_pages(const std::vector<ChunkHit>& chunks,
                                                   std::size_t match_count);

// ---------------------------------------------------------------------------------------------

class KnowledgeStore {
 public:
  explicit KnowledgeStore(store::Database& database) : db_(database) {}

  // --- ingest side ---------------------------------------------------------------------------
  // Creates the source, or updates its title and url_base.
  void ensure_source(const std::string& source_id, const std::string& title,
                     const std::string& url_base);
  // path -> state for every file of the source.
  [[nodiscard]] std::map<std::string, FileState> file_states(const std::string& source_id);
  // Replaces each file's pages, chunks and code examples, all in one transaction.
  void write_files(const std::string& source_id, std::span<const FileDocument> files);
  // Deletes these files and everything indexed from them, in one transaction.
  void remove_files(const std::string& source_id, std::span<const std::string> paths);
  // Recounts the source's files, pages, words, chunks and examples; sets summary, updated_at.
  void refresh_source(const std::string& source_id, const std::string& summary);

  // --- query side ----------------------------------------------------------------------------
  [[nodiscard]] std::vector<SourceRecord> sources();
  // `query` is the user's text (see fts_query.hpp); no searchable word gives no results.
  // `source_id` nullopt searches every source. At most `limit` hits, best first.
  [[nodiscard]] std::vector<ChunkHit> search_chunks(const std::string& query,
                                                    const std::optional<std::string>& source_id,
                                                    std::size_t limit);
  [[nodiscard]] std::vector<PageHit> search_pages(const std::string& query,
                                                  const std::optional<std::string>& source_id,
                                                  std::size_t match_count);
  [[nodiscard]] std::vector<CodeExampleHit> search_code_examples(
      const std::string& query, const std::optional<std::string>& source_id, std::size_t limit);

  // Pages of a source in file order then section order; `section` matches the section title
  // exactly or without its leading '#' marks ("Install" finds "## Install").
  [[nodiscard]] std::vector<PageSummary> list_pages(const std::string& source_id,
                                                    const std::optional<std::string>& section);
  [[nodiscard]] std::optional<PageRecord> page_by_id(const std::string& id);
  [[nodiscard]] std::optional<PageRecord> page_by_url(const std::string& url);

 private:
  store::Database& db_;
};

}  // namespace mcpgate::knowledge
