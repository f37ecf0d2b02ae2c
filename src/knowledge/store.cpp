#include "mcpgate/knowledge/store.hpp"

#include "mcpgate/knowledge/content_hash.hpp"
#include "mcpgate/knowledge/fts_query.hpp"
#include "mcpgate/knowledge/search_sql.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <unordered_map>

namespace mcpgate::knowledge {

namespace {

// External-content FTS5 tables: the text lives once, in the base tables; triggers keep the
// indexes in step, including for rows removed by ON DELETE CASCADE (SQLite fires a child
// table's delete triggers for cascaded deletes).
constexpr std::string_view knowledge_schema = R"sql(
CREATE TABLE knowledge_sources (
  source_id          TEXT PRIMARY KEY,
  title              TEXT NOT NULL,
  url_base           TEXT NOT NULL DEFAULT '',
  summary            TEXT NOT NULL DEFAULT '',
  file_count         INTEGER NOT NULL DEFAULT 0,
  page_count         INTEGER NOT NULL DEFAULT 0,
  chunk_count        INTEGER NOT NULL DEFAULT 0,
  code_example_count INTEGER NOT NULL DEFAULT 0,
  total_words        INTEGER NOT NULL DEFAULT 0,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);

CREATE TABLE knowledge_files (
  id           INTEGER PRIMARY KEY,
  source_id    TEXT NOT NULL REFERENCES knowledge_sources(source_id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  url          TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  size_bytes   INTEGER NOT NULL,
  indexed_at   TEXT NOT NULL,
  UNIQUE (source_id, path)
);

CREATE TABLE knowledge_pages (
  id            TEXT PRIMARY KEY,
  file_id       INTEGER NOT NULL REFERENCES knowledge_files(id) ON DELETE CASCADE,
  source_id     TEXT NOT NULL,
  url           TEXT NOT NULL,
  section_title TEXT NOT NULL,
  section_order INTEGER NOT NULL,
  full_content  TEXT NOT NULL,
  word_count    INTEGER NOT NULL,
  char_count    INTEGER NOT NULL,
  chunk_count   INTEGER NOT NULL,
  metadata      TEXT NOT NULL DEFAULT '{}',
  content_hash  TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX knowledge_pages_by_file ON knowledge_pages(file_id, section_order);
CREATE INDEX knowledge_pages_by_source ON knowledge_pages(source_id);
CREATE INDEX knowledge_pages_by_url ON knowledge_pages(url);

CREATE TABLE knowledge_chunks (
  id           INTEGER PRIMARY KEY,
  page_id      TEXT NOT NULL REFERENCES knowledge_pages(id) ON DELETE CASCADE,
  source_id    TEXT NOT NULL,
  chunk_number INTEGER NOT NULL,
  heading      TEXT NOT NULL,
  content      TEXT NOT NULL
);
CREATE INDEX knowledge_chunks_by_page ON knowledge_chunks(page_id);
CREATE INDEX knowledge_chunks_by_source ON knowledge_chunks(source_id);

CREATE TABLE knowledge_code_examples (
  id             INTEGER PRIMARY KEY,
  page_id        TEXT NOT NULL REFERENCES knowledge_pages(id) ON DELETE CASCADE,
  source_id      TEXT NOT NULL,
  example_number INTEGER NOT NULL,
  language       TEXT NOT NULL,
  summary        TEXT NOT NULL,
  content        TEXT NOT NULL
);
CREATE INDEX knowledge_code_examples_by_page ON knowledge_code_examples(page_id);
CREATE INDEX knowledge_code_examples_by_source ON knowledge_code_examples(source_id);

CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(
  content, heading, content='knowledge_chunks', content_rowid='id',
  tokenize='porter unicode61');
CREATE TRIGGER knowledge_chunks_ai AFTER INSERT ON knowledge_chunks BEGIN
  INSERT INTO knowledge_chunks_fts(rowid, content, heading) VALUES (new.id, new.content, new.heading);
END;
CREATE TRIGGER knowledge_chunks_ad AFTER DELETE ON knowledge_chunks BEGIN
  INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, content, heading)
    VALUES ('delete', old.id, old.content, old.heading);
END;
CREATE TRIGGER knowledge_chunks_au AFTER UPDATE ON knowledge_chunks BEGIN
  INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, content, heading)
    VALUES ('delete', old.id, old.content, old.heading);
  INSERT INTO knowledge_chunks_fts(rowid, content, heading) VALUES (new.id, new.content, new.heading);
END;

CREATE VIRTUAL TABLE knowledge_code_examples_fts USING fts5(
  content, summary, language, content='knowledge_code_examples', content_rowid='id',
  tokenize='porter unicode61');
CREATE TRIGGER knowledge_code_examples_ai AFTER INSERT ON knowledge_code_examples BEGIN
  INSERT INTO knowledge_code_examples_fts(rowid, content, summary, language)
    VALUES (new.id, new.content, new.summary, new.language);
END;
CREATE TRIGGER knowledge_code_examples_ad AFTER DELETE ON knowledge_code_examples BEGIN
  INSERT INTO knowledge_code_examples_fts(knowledge_code_examples_fts, rowid, content, summary, language)
    VALUES ('delete', old.id, old.content, old.summary, old.language);
END;
CREATE TRIGGER knowledge_code_examples_au AFTER UPDATE ON knowledge_code_examples BEGIN
  INSERT INTO knowledge_code_examples_fts(knowledge_code_examples_fts, rowid, content, summary, language)
    VALUES ('delete', old.id, old.content, old.summary, old.language);
  INSERT INTO knowledge_code_examples_fts(rowid, content, summary, language)
    VALUES (new.id, new.content, new.summary, new.language);
END;
)sql";

// PostgreSQL: the same tables, with identity keys, BIGINT counts, and instead of FTS5 a stored
// tsvector per row (english stemming, as FTS5's porter) under a GIN index. Heading words are
// weight A and body words weight B, and the ranking weighs A twice B, as bm25(..., 1.0, 2.0)
// does; a code example's summary is A, its code and language B. Cascaded deletes need no
// triggers: the vector lives in the row.
constexpr std::string_view knowledge_schema_postgresql = R"sql(
CREATE TABLE knowledge_sources (
  source_id          TEXT PRIMARY KEY,
  title              TEXT NOT NULL,
  url_base           TEXT NOT NULL DEFAULT '',
  summary            TEXT NOT NULL DEFAULT '',
  file_count         BIGINT NOT NULL DEFAULT 0,
  page_count         BIGINT NOT NULL DEFAULT 0,
  chunk_count        BIGINT NOT NULL DEFAULT 0,
  code_example_count BIGINT NOT NULL DEFAULT 0,
  total_words        BIGINT NOT NULL DEFAULT 0,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);

CREATE TABLE knowledge_files (
  id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  source_id    TEXT NOT NULL REFERENCES knowledge_sources(source_id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  url          TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  size_bytes   BIGINT NOT NULL,
  indexed_at   TEXT NOT NULL,
  UNIQUE (source_id, path)
);

CREATE TABLE knowledge_pages (
  id            TEXT PRIMARY KEY,
  file_id       BIGINT NOT NULL REFERENCES knowledge_files(id) ON DELETE CASCADE,
  source_id     TEXT NOT NULL,
  url           TEXT NOT NULL,
  section_title TEXT NOT NULL,
  section_order BIGINT NOT NULL,
  full_content  TEXT NOT NULL,
  word_count    BIGINT NOT NULL,
  char_count    BIGINT NOT NULL,
  chunk_count   BIGINT NOT NULL,
  metadata      TEXT NOT NULL DEFAULT '{}',
  content_hash  TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX knowledge_pages_by_file ON knowledge_pages(file_id, section_order);
CREATE INDEX knowledge_pages_by_source ON knowledge_pages(source_id);
CREATE INDEX knowledge_pages_by_url ON knowledge_pages(url);

CREATE TABLE knowledge_chunks (
  id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  page_id      TEXT NOT NULL REFERENCES knowledge_pages(id) ON DELETE CASCADE,
  source_id    TEXT NOT NULL,
  chunk_number BIGINT NOT NULL,
  heading      TEXT NOT NULL,
  content      TEXT NOT NULL,
  search       tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english', heading), 'A') ||
                 setweight(to_tsvector('english', content), 'B')) STORED
);
CREATE INDEX knowledge_chunks_by_page ON knowledge_chunks(page_id);
CREATE INDEX knowledge_chunks_by_source ON knowledge_chunks(source_id);
CREATE INDEX knowledge_chunks_search ON knowledge_chunks USING GIN (search);

CREATE TABLE knowledge_code_examples (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  page_id        TEXT NOT NULL REFERENCES knowledge_pages(id) ON DELETE CASCADE,
  source_id      TEXT NOT NULL,
  example_number BIGINT NOT NULL,
  language       TEXT NOT NULL,
  summary        TEXT NOT NULL,
  content        TEXT NOT NULL,
  search         tsvector GENERATED ALWAYS AS (
                   setweight(to_tsvector('english', summary), 'A') ||
                   setweight(to_tsvector('english', content || ' ' || language), 'B')) STORED
);
CREATE INDEX knowledge_code_examples_by_page ON knowledge_code_examples(page_id);
CREATE INDEX knowledge_code_examples_by_source ON knowledge_code_examples(source_id);
CREATE INDEX knowledge_code_examples_search ON knowledge_code_examples USING GIN (search);
)sql";

// ISO-8601 UTC with microseconds, the fixed-width form the other embedded tables use.
std::string now_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lld+00:00", buffer, static_cast<long long>(micros));
  return out;
}

double similarity_from_bm25(double bm25) {
  const double s = std::max(0.0, -bm25);
  return s / (1.0 + s);
}

std::int64_t as_int(std::size_t n) { return static_cast<std::int64_t>(n); }

// "## Install" -> "Install": the heading text stored next to each chunk for the index.
std::string heading_words(std::string_view title) {
  while (!title.empty() && (title.front() == '#' || title.front() == ' ')) title.remove_prefix(1);
  return std::string(title);
}

PageSummary read_summary(const store::Statement& s) {
  return PageSummary{s.text(0), s.text(1), s.text(2), s.int64(3), s.int64(4), s.int64(5), s.int64(6)};
}

constexpr std::string_view page_columns =
    "id, url, section_title, section_order, word_count, char_count, chunk_count, source_id, "
    "full_content, metadata, created_at, updated_at";

PageRecord read_page(const store::Statement& s) {
  return PageRecord{read_summary(s), s.text(7), s.text(8), s.text(9), s.text(10), s.text(11)};
}

}  // namespace

store::Migration knowledge_migration() {
  return store::Migration{2, "knowledge sources, pages, chunks, code examples, FTS5 indexes",
                          knowledge_schema, knowledge_schema_postgresql};
}

store::Migration knowledge_web_migration() {
  return store::Migration{4, "knowledge files: web validators and links",
                          "ALTER TABLE knowledge_files ADD COLUMN etag TEXT NOT NULL DEFAULT '';\n"
                          "ALTER TABLE knowledge_files ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';\n"
                          "ALTER TABLE knowledge_files ADD COLUMN links TEXT NOT NULL DEFAULT '';\n"};
}

std::vector<PageHit> aggregate_pages(const std::vector<ChunkHit>& chunks, std::size_t match_count) {
  struct Group {
    PageHit hit;
    double best = 0, sum = 0;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, std::size_t> index;
  for (const ChunkHit& chunk : chunks) {
    auto [it, inserted] = index.emplace(chunk.page_id, groups.size());
    if (inserted) {
      groups.push_back(Group{PageHit{chunk.page_id, chunk.source_id, chunk.url, chunk.section_title,
                                     chunk.page_word_count, 0, 0, 0},
                             0, 0});
    }
    Group& group = groups[it->second];
    ++group.hit.chunk_matches;
    group.best = std::max(group.best, chunk.similarity);
    group.sum += chunk.similarity;
  }
  std::vector<PageHit> pages;
  pages.reserve(groups.size());
  for (Group& group : groups) {
    const double n = static_cast<double>(group.hit.chunk_matches);
    group.hit.average_similarity = group.sum / n;
    group.hit.aggregate_similarity = group.best * (1.0 + std::min(0.25, 0.05 * (n - 1)));
    pages.push_back(std::move(group.hit));
  }
  std::sort(pages.begin(), pages.end(), [](const PageHit& a, const PageHit& b) {
    if (a.aggregate_similarity != b.aggregate_similarity)
      return a.aggregate_similarity > b.aggregate_similarity;
    if (a.chunk_matches != b.chunk_matches) return a.chunk_matches > b.chunk_matches;
    return a.page_id < b.page_id;
  });
  if (pages.size() > match_count) pages.resize(match_count);
  return pages;
}

// ---------------------------------------------------------------------------------------------
// Ingest side

void KnowledgeStore::ensure_source(const std::string& source_id, const std::string& title,
                                   const std::string& url_base) {
  const std::string now = now_timestamp();
  db_.write([&](store::Connection& c) {
    c.prepare(
         "INSERT INTO knowledge_sources(source_id, title, url_base, created_at, updated_at) "
         "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(source_id) DO UPDATE SET "
         "title = excluded.title, url_base = excluded.url_base "
         "WHERE knowledge_sources.title IS DISTINCT FROM excluded.title "
         "OR knowledge_sources.url_base IS DISTINCT FROM excluded.url_base")
        .bind_all(source_id, title, url_base, now)
        .run();
  });
}

std::map<std::string, FileState> KnowledgeStore::file_states(const std::string& source_id) {
  return db_.read([&](store::Connection& c) {
    std::map<std::string, FileState> states;
    auto s = c.prepare(
        "SELECT path, url, content_hash, etag, last_modified, links FROM knowledge_files "
        "WHERE source_id = ?1");
    s.bind_all(source_id);
    while (s.step()) {
      FileState state{s.text(1), s.text(2), s.text(3), s.text(4), {}};
      const std::string links = s.text(5);  // one URL a line
      for (std::size_t at = 0; at < links.size();) {
        const std::size_t end = std::min(links.find('\n', at), links.size());
        if (end > at) state.links.push_back(links.substr(at, end - at));
        at = end + 1;
      }
      states.emplace(s.text(0), std::move(state));
    }
    return states;
  });
}

void KnowledgeStore::write_files(const std::string& source_id, std::span<const FileDocument> files) {
  const std::string now = now_timestamp();
  db_.write([&](store::Connection& c) {
    for (const FileDocument& file : files) {
      c.prepare("DELETE FROM knowledge_files WHERE source_id = ?1 AND path = ?2")
          .bind_all(source_id, file.path)
          .run();
      std::string links;
      for (const std::string& link : file.links) links += link + "\n";
      auto inserted = c.prepare(
          "INSERT INTO knowledge_files(source_id, path, url, content_hash, size_bytes, indexed_at, "
          "etag, last_modified, links) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id");
      inserted.bind_all(source_id, file.path, file.url, file.content_hash, file.size_bytes, now,
                        file.etag, file.last_modified, links);
      inserted.step();
      const std::int64_t file_id = inserted.int64(0);
      inserted.run();  // to the end, so that the insert is complete

      std::vector<std::string> page_ids;
      std::set<std::string> urls;
      const auto& pages = file.document.pages;
      for (std::size_t p = 0; p < pages.size(); ++p) {
        const Page& page = pages[p];
        // Page 0 is the file's URL; later pages get the heading's anchor, made unique.
        std::string url = file.url;
        if (p > 0) {
          std::string anchor = heading_anchor(page.section_title);
          if (anchor.empty()) anchor = "section-" + std::to_string(p);
          url = file.url + "#" + anchor;
          for (int n = 1; urls.contains(url); ++n) url = file.url + "#" + anchor + "-" + std::to_string(n);
        }
        urls.insert(url);
        const std::string page_id =
            stable_uuid(source_id + '\0' + file.path + '\0' + std::to_string(p));
        page_ids.push_back(page_id);
        const nlohmann::json metadata{{"source_id", source_id},
                                      {"file_path", file.path},
                                      {"file_url", file.url},
                                      {"kind", file.kind},
                                      {"language", file.language},
                                      {"section_count", pages.size()}};
        c.prepare(
             "INSERT INTO knowledge_pages(id, file_id, source_id, url, section_title, section_order, "
             "full_content, word_count, char_count, chunk_count, metadata, content_hash, created_at, "
             "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)")
            .bind_all(page_id, file_id, source_id, url, page.section_title,
                      std::int64_t{page.section_order}, page.content, as_int(page.word_count),
                      as_int(page.char_count), as_int(page.chunks.size()), metadata.dump(),
                      file.content_hash, now)
            .run();
        const std::string heading = heading_words(page.section_title);
        for (std::size_t k = 0; k < page.chunks.size(); ++k) {
          c.prepare(
               "INSERT INTO knowledge_chunks(page_id, source_id, chunk_number, heading, content) "
               "VALUES (?1, ?2, ?3, ?4, ?5)")
              .bind_all(page_id, source_id, as_int(k), heading, page.chunks[k])
              .run();
        }
      }
      const auto& examples = file.document.code_examples;
      for (std::size_t e = 0; e < examples.size(); ++e) {
        const CodeExample& example = examples[e];
        if (example.page_index >= page_ids.size()) continue;
        c.prepare(
             "INSERT INTO knowledge_code_examples(page_id, source_id, example_number, language, "
             "summary, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .bind_all(page_ids[example.page_index], source_id, as_int(e), example.language,
                      example.summary, example.code)
            .run();
      }
    }
  });
}

void KnowledgeStore::remove_files(const std::string& source_id, std::span<const std::string> paths) {
  if (paths.empty()) return;
  db_.write([&](store::Connection& c) {
    for (const std::string& path : paths) {
      c.prepare("DELETE FROM knowledge_files WHERE source_id = ?1 AND path = ?2")
          .bind_all(source_id, path)
          .run();
    }
  });
}

void KnowledgeStore::refresh_source(const std::string& source_id, const std::string& summary) {
  const std::string now = now_timestamp();
  db_.write([&](store::Connection& c) {
    c.prepare(
         "UPDATE knowledge_sources SET "
         "file_count = (SELECT count(*) FROM knowledge_files WHERE source_id = ?1), "
         "page_count = (SELECT count(*) FROM knowledge_pages WHERE source_id = ?1), "
         "total_words = (SELECT coalesce(sum(word_count), 0) FROM knowledge_pages WHERE source_id = ?1), "
         "chunk_count = (SELECT count(*) FROM knowledge_chunks WHERE source_id = ?1), "
         "code_example_count = (SELECT count(*) FROM knowledge_code_examples WHERE source_id = ?1), "
         "summary = ?2, updated_at = ?3 WHERE source_id = ?1")
        .bind_all(source_id, summary, now)
        .run();
  });
}

// ---------------------------------------------------------------------------------------------
// Query side

std::vector<SourceRecord> KnowledgeStore::sources() {
  return db_.read([&](store::Connection& c) {
    std::vector<SourceRecord> out;
    auto s = c.prepare(
        "SELECT source_id, title, url_base, summary, file_count, page_count, chunk_count, "
        "code_example_count, total_words, created_at, updated_at FROM knowledge_sources "
        "ORDER BY title, source_id");
    while (s.step()) {
      out.push_back(SourceRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4),
                                 s.int64(5), s.int64(6), s.int64(7), s.int64(8), s.text(9),
                                 s.text(10)});
    }
    return out;
  });
}

std::vector<ChunkHit> KnowledgeStore::search_chunks(const std::string& query,
                                                    const std::optional<std::string>& source_id,
                                                    std::size_t limit) {
  const bool pg = db_.kind() == "postgresql";
  const auto expression = pg ? tsquery_expression(query) : fts_match_expression(query);
  if (!expression || limit == 0) return {};
  return db_.read([&](store::Connection& c) {
    std::vector<ChunkHit> hits;
    auto s = c.prepare(search_sql(db_.kind(), SearchTable::chunks, source_id.has_value()));
    s.bind_all(*expression, source_id, as_int(limit));
    while (s.step()) {
      hits.push_back(ChunkHit{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                              s.int64(6), s.int64(7), similarity_from_bm25(s.real(8))});
    }
    return hits;
  });
}

std::vector<PageHit> KnowledgeStore::search_pages(const std::string& query,
                                                  const std::optional<std::string>& source_id,
                                                  std::size_t match_count) {
  // Enough chunks that the top pages are found with most of their matching chunks.
  const std::size_t chunk_limit = std::clamp<std::size_t>(match_count * 10, 50, 1000);
  return aggregate_pages(search_chunks(query, source_id, chunk_limit), match_count);
}

std::vector<CodeExampleHit> KnowledgeStore::search_code_examples(
    const std::string& query, const std::optional<std::string>& source_id, std::size_t limit) {
  const bool pg = db_.kind() == "postgresql";
  const auto expression = pg ? tsquery_expression(query) : fts_match_expression(query);
  if (!expression || limit == 0) return {};
  return db_.read([&](store::Connection& c) {
    std::vector<CodeExampleHit> hits;
    auto s = c.prepare(search_sql(db_.kind(), SearchTable::code_examples, source_id.has_value()));
    s.bind_all(*expression, source_id, as_int(limit));
    while (s.step()) {
      hits.push_back(CodeExampleHit{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4),
                                    s.text(5), s.text(6), s.text(7), s.int64(8),
                                    similarity_from_bm25(s.real(9))});
    }
    return hits;
  });
}

std::vector<PageSummary> KnowledgeStore::list_pages(const std::string& source_id,
                                                    const std::optional<std::string>& section) {
  return db_.read([&](store::Connection& c) {
    std::vector<PageSummary> pages;
    auto s = c.prepare(
        "SELECT p.id, p.url, p.section_title, p.section_order, p.word_count, p.char_count, "
        "p.chunk_count FROM knowledge_pages p JOIN knowledge_files f ON f.id = p.file_id "
        "WHERE p.source_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR p.section_title = ?2 OR "
        "ltrim(p.section_title, '# ') = ltrim(?2, '# ')) "
        "ORDER BY f.url, f.path, p.section_order");
    s.bind_all(source_id, section);
    while (s.step()) pages.push_back(read_summary(s));
    return pages;
  });
}

std::optional<PageRecord> KnowledgeStore::page_by_id(const std::string& id) {
  return db_.read([&](store::Connection& c) -> std::optional<PageRecord> {
    auto s = c.prepare("SELECT " + std::string(page_columns) + " FROM knowledge_pages WHERE id = ?1");
    s.bind_all(id);
    if (!s.step()) return std::nullopt;
    return read_page(s);
  });
}

std::optional<PageRecord> KnowledgeStore::page_by_url(const std::string& url) {
  return db_.read([&](store::Connection& c) -> std::optional<PageRecord> {
    auto s = c.prepare("SELECT " + std::string(page_columns) +
                       " FROM knowledge_pages WHERE url = ?1 ORDER BY section_order, id LIMIT 1");
    s.bind_all(url);
    if (!s.step()) return std::nullopt;
    return read_page(s);
  });
}

}  // namespace mcpgate::knowledge
