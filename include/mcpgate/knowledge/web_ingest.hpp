// Web ingest: a documentation site -> one knowledge source, beside (and like) local files.
//
// What is fetched. The start URLs, the pages that llms.txt / llms-full.txt and the sitemaps
// (robots.txt's Sitemap lines, /sitemap.xml, <prefix>/sitemap.xml; indexes followed) list, and
// the links of every page fetched — all only when in scope (web_url.hpp's CrawlScope: the start
// URLs' sites and folders, --include / --exclude) and allowed by robots.txt for mcpgate. The
// crawl is breadth-first by level (a start URL is depth 0, what the listings and its links name
// depth 1…) up to max_depth, and admits at most max_pages URLs, in a fixed order (listings, then
// each level's links in page order), so that two crawls of the same site index the same pages
// however the fetches interleave.
//
// What is indexed. HTML (html_text.hpp: converted to Markdown, split by heading exactly as a
// local Markdown file), Markdown and plain text (by content type, or a .md URL), PDFs
// (pdf_text.hpp: a page per PDF page). Every other content type, binary bodies and failures are
// counted and left out. A page is stored as a file whose path and URL are its final URL (after
// redirects within the site), titled by its <title>.
//
// Re-running. Conditional requests with each page's ETag / Last-Modified, then the content hash,
// decide what changed: a 304 or an unchanged body is not rewritten (its stored links still
// feed the crawl), a changed page is replaced in the transaction that writes it. Only a crawl
// that ran to its end removes pages: those of this source, under the scope's folders, that it
// neither reached nor kept — a page that failed with a transient error (5xx, timeout) is kept, a
// 404 / 410 or a page no longer linked is removed. Pages are written in batches of batch_pages,
// one transaction each, so a crawl killed at any point leaves every page either as it was or as
// fetched, and the next run, re-fetching cheaply, ends where an uninterrupted crawl would.
#pragma once

#include "mcpgate/knowledge/splitter.hpp"
#include "mcpgate/knowledge/store.hpp"
#include "mcpgate/knowledge/web_fetch.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace mcpgate::knowledge {

struct WebIngestOptions {
  std::string source_id;                  // required
  std::vector<std::string> include, exclude;
  std::size_t max_pages = 10000;          // URLs admitted to the crawl
  int max_depth = 10;                     // link hops from a start URL
  std::size_t batch_pages = 100;          // pages per write transaction
  std::size_t max_sitemaps = 50;          // sitemaps read, indexes included
  FetchOptions fetch;
  SplitOptions split;
};

struct WebIngestStats {
  std::size_t admitted = 0;   // URLs the crawl took on
  std::size_t done = 0;       // of those, finished (fetched, failed or skipped)
  std::size_t fetched = 0;    // answered 200 or 304
  std::size_t failed = 0;
  std::size_t added = 0, updated = 0, unchanged = 0, removed = 0, skipped = 0;
  std::size_t disallowed = 0;  // by robots.txt (not fetched)
  std::size_t over_limit = 0;  // links past --max-pages / --max-depth (not fetched)
  std::size_t pages = 0, chunks = 0, code_examples = 0;  // written by this run
  std::uintmax_t bytes_fetched = 0;
  std::map<std::string, std::size_t> failures;  // reason ("HTTP 500", "timeout"…) -> count
  std::map<std::string, std::size_t> skips;     // reason ("not a document: image/png"…) -> count
  double seconds = 0;
};

// One URL done: what happened to it ("added", "updated", "unchanged", "failed: HTTP 500",
// "skipped: binary content").
struct PageEvent {
  std::string url;
  std::string outcome;
};

class WebIngester {
 public:
  // Called after each URL, one call at a time.
  using Progress = std::function<void(const WebIngestStats&, const PageEvent&)>;

  WebIngester(KnowledgeStore& store, WebIngestOptions options);

  // Throws std::invalid_argument for a bad source id or a start URL that is not http(s)
  // (before anything is fetched), and store errors as they come.
  WebIngestStats run(std::span<const std::string> start_urls, const Progress& progress = {});

 private:
  KnowledgeStore& store_;
  WebIngestOptions options_;
};

// "http://" or "https://" at the start: the ingest command's test for a URL argument.
[[nodiscard]] bool is_web_url(std::string_view argument);

}  // namespace mcpgate::knowledge
