#include "mcpgate/knowledge/web_ingest.hpp"

#include "mcpgate/knowledge/content_hash.hpp"
#include "mcpgate/knowledge/file_types.hpp"
#include "mcpgate/knowledge/html_text.hpp"
#include "mcpgate/knowledge/pdf_text.hpp"
#include "mcpgate/knowledge/robots.hpp"
#include "mcpgate/knowledge/web_discovery.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace mcpgate::knowledge {

namespace {

// Bumped whenever conversion or splitting changes, so that a re-run re-indexes every page.
constexpr std::string_view web_converter_version = "w1";

// Requests in flight at once, all origins together (each origin has its own --per-host cap).
constexpr int max_crawl_workers = 32;

std::string media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

bool path_ends_with(const WebUrl& url, std::string_view suffix) {
  std::string path = url.path;
  for (char& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return path.ends_with(suffix);
}

// A fetched body as what the store keeps, or why it is not kept.
struct Converted {
  std::optional<SplitDocument> document;
  std::string kind, language, title;
  std::vector<WebUrl> links;
  std::string skipped;  // the reason, when document is nullopt
};

Converted convert_body(const FetchResult& fetched, const SplitOptions& split) {
  Converted out;
  const std::string type = media_type(fetched.content_type);
  const WebUrl& url = fetched.final_url;
  const std::string fallback_title = url.path.size() > 1 ? url.path : url.text();
  if (type == "application/pdf" || looks_like_pdf(fetched.body)) {
    PdfText pdf = pdf_to_markdown(fetched.body, fallback_title);
    if (!pdf.markdown) {
      out.skipped = pdf.refused;
      return out;
    }
    out.kind = "pdf";
    out.language = "pdf";
    out.title = pdf.title;
    out.document = split_markdown(*pdf.markdown, pdf.title, split);
    return out;
  }
  const bool html = type == "text/html" || type == "application/xhtml+xml" ||
                    (type.empty() && fetched.body.find("<html") != std::string::npos);
  const bool markdown = type == "text/markdown" || type == "text/x-markdown" ||
                        ((type == "text/plain" || type.empty()) &&
                         (path_ends_with(url, ".md") || path_ends_with(url, ".markdown")));
  const bool plain = type == "text/plain";
  if (!html && !markdown && !plain) {
    out.skipped = "not a document: " + (type.empty() ? std::string("no content type") : type);
    return out;
  }
  if (looks_binary(fetched.body)) {
    out.skipped = "binary content";
    return out;
  }
  DecodedText text = decode_to_utf8(fetched.body, declared_charset(fetched.content_type, fetched.body, html));
  if (!text.text) {
    out.skipped = text.refused;
    return out;
  }
  if (html) {
    HtmlPage page = html_to_markdown(*text.text, url);
    if (page.too_deep || page.too_many_elements) {
      out.skipped = page.too_deep ? "HTML nested too deeply" : "HTML of too many elements";
      return out;
    }
    out.kind = "html";
    out.language = "markdown";
    out.title = page.title.empty() ? fallback_title : page.title;
    out.links = std::move(page.links);
    out.document = split_markdown(page.markdown, out.title, split);
  } else if (markdown) {
    out.kind = "markdown";
    out.language = "markdown";
    out.title = fallback_title;
    out.links = markdown_links(*text.text, url);
    out.document = split_markdown(*text.text, out.title, split);
  } else {
    out.kind = "text";
    out.language = "text";
    out.title = fallback_title;
    out.document = split_plain_text(*text.text, out.title, split);
  }
  return out;
}

class Crawl {
 public:
  Crawl(KnowledgeStore& store, const WebIngestOptions& options, std::vector<WebUrl> starts,
        const WebIngester::Progress& progress)
      : store_(store),
        options_(options),
        starts_(std::move(starts)),
        scope_(starts_, options.include, options.exclude),
        fetcher_(options.fetch, [this](const WebUrl& url) { return may_follow(url); }),
        progress_(progress) {}

  WebIngestStats run() {
    const auto started = std::chrono::steady_clock::now();
    store_.ensure_source(options_.source_id, options_.source_id, starts_.front().text());
    previous_ = store_.file_states(options_.source_id);

    // Level 0: the start URLs; level 1 begins with what the site's listings name.
    std::vector<std::string> level;
    for (const WebUrl& start : starts_) admit(start, 0, level);
    std::vector<std::string> listed_level;
    for (const WebUrl& url : discover()) admit(url, 1, listed_level);
    for (int depth = 0; !level.empty() || !listed_level.empty(); ++depth) {
      std::vector<std::vector<std::string>> links(level.size());
      fetch_level(level, links);
      std::vector<std::string> next = depth == 0 ? std::move(listed_level) : std::vector<std::string>{};
      listed_level.clear();
      for (const auto& page_links : links)
        for (const std::string& link : page_links)
          if (auto url = parse_url(link)) admit(*url, depth + 1, next);
      level = std::move(next);
    }
    flush();

    // The crawl ran to its end: what it no longer finds goes.
    std::vector<std::string> gone;
    for (const auto& entry : previous_) {
      const std::string& path = entry.first;
      if (scope_.covers(path) && !kept_.contains(path)) gone.push_back(path);
    }
    store_.remove_files(options_.source_id, gone);
    stats_.removed = gone.size();
    if (stats_.added + stats_.updated + stats_.removed > 0 || previous_.empty()) {
      std::string origin;
      for (const WebUrl& start : starts_) origin += (origin.empty() ? "" : ", ") + start.text();
      store_.refresh_source(options_.source_id,
                            "Documentation crawled from " + origin + " (keyword search).");
    }
    stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return stats_;
  }

 private:
  // robots.txt of an origin, fetched once (on the calling thread: before the workers start
  // for the origins of the start URLs, and every other admitted URL shares one of them).
  const RobotsRules& robots(const WebUrl& url) {
    const std::string origin = url.origin();
    if (const auto it = robots_.find(origin); it != robots_.end()) return it->second;
    RobotsRules rules;
    const FetchResult r = fetcher_.fetch(FetchRequest{*parse_url(origin + "/robots.txt"), {}, {}});
    if (r.outcome == FetchOutcome::ok) {
      rules = RobotsRules::parse(r.body, "mcpgate");
    } else if (r.outcome != FetchOutcome::http_error || r.status >= 500) {
      if (r.outcome != FetchOutcome::redirect_off_site && r.outcome != FetchOutcome::too_large)
        rules = RobotsRules::disallow_all();  // unreachable: RFC 9309 says assume all disallowed
    }
    if (const auto delay = rules.crawl_delay_seconds())
      fetcher_.raise_delay(origin, std::chrono::milliseconds(static_cast<long long>(*delay * 1000)));
    return robots_.emplace(origin, std::move(rules)).first->second;
  }

  // A redirect is followed within the crawl's sites only, and never to where robots.txt says no.
  // (Called by fetches on the workers: robots_ is only written between levels.)
  bool may_follow(const WebUrl& url) const {
    if (!scope_.same_site(url)) return false;
    const auto rules = robots_.find(url.origin());
    return rules == robots_.end() || rules->second.allowed(url.path + (url.query.empty() ? "" : "?" + url.query));
  }

  // URLs that llms.txt, llms-full.txt and the sitemaps list, in that order.
  std::vector<WebUrl> discover() {
    std::vector<WebUrl> found;
    std::set<std::string> tried;
    auto fetch_listing = [&](const std::string& text) -> std::optional<FetchResult> {
      const auto url = parse_url(text);
      if (!url || !tried.insert(url->text()).second || !robots(*url).allowed(url->path)) return std::nullopt;
      FetchResult r = fetcher_.fetch(FetchRequest{*url, {}, {}});
      if (r.outcome != FetchOutcome::ok) return std::nullopt;
      stats_.bytes_fetched += r.body.size();
      return r;
    };
    std::vector<std::string> sitemaps;
    for (const WebUrl& start : starts_) {
      const std::string folder = start.origin() + start.path.substr(0, start.path.rfind('/') + 1);
      for (const std::string_view name : {"llms.txt", "llms-full.txt"}) {
        for (const std::string& at : {folder + std::string(name), start.origin() + "/" + std::string(name)}) {
          if (auto r = fetch_listing(at)) {
            auto links = markdown_links(r->body, r->final_url);
            found.insert(found.end(), links.begin(), links.end());
          }
        }
      }
      for (const std::string& s : robots(start).sitemaps()) sitemaps.push_back(s);
      sitemaps.push_back(start.origin() + "/sitemap.xml");
      sitemaps.push_back(folder + "sitemap.xml");
    }
    for (std::size_t i = 0; i < sitemaps.size() && tried.size() < options_.max_sitemaps + 8; ++i) {
      const auto r = fetch_listing(sitemaps[i]);
      if (!r) continue;
      Sitemap sitemap = parse_sitemap(r->body, r->final_url);
      for (WebUrl& url : sitemap.locations) {
        if (sitemap.is_index) sitemaps.push_back(url.text());
        else found.push_back(std::move(url));
      }
    }
    return found;
  }

  void admit(const WebUrl& url, int depth, std::vector<std::string>& level) {
    if (!scope_.wanted(url)) return;
    std::string text = url.text();
    if (admitted_.contains(text)) return;
    if (!robots(url).allowed(url.path + (url.query.empty() ? "" : "?" + url.query))) {
      admitted_.insert(std::move(text));  // counted once
      ++stats_.disallowed;
      return;
    }
    if (depth > options_.max_depth || stats_.admitted >= options_.max_pages) {
      admitted_.insert(std::move(text));
      ++stats_.over_limit;
      return;
    }
    admitted_.insert(text);
    ++stats_.admitted;
    level.push_back(std::move(text));
  }

  void fetch_level(const std::vector<std::string>& level, std::vector<std::vector<std::string>>& links) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
      for (std::size_t i = next++; i < level.size(); i = next++) {
        try {
          links[i] = fetch_page(level[i]);
        } catch (...) {
          const std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = level.size();
        }
      }
    };
    std::set<std::string> origins;
    for (const WebUrl& start : starts_) origins.insert(start.origin());
    const auto workers = static_cast<std::size_t>(std::clamp(
        options_.fetch.per_host * static_cast<int>(origins.size()), 1, max_crawl_workers));
    std::vector<std::thread> threads;
    for (std::size_t w = 1; w < std::min(workers, level.size()); ++w) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  // Fetches one admitted URL, writes it if it changed; returns its links.
  std::vector<std::string> fetch_page(const std::string& text) {
    const WebUrl url = *parse_url(text);
    FetchRequest request{url, {}, {}};
    const auto before = previous_.find(text);
    if (before != previous_.end()) {
      request.etag = before->second.etag;
      request.last_modified = before->second.last_modified;
    }
    FetchResult fetched = fetcher_.fetch(request);
    if (fetched.outcome == FetchOutcome::not_modified && before != previous_.end()) {
      finish(text, "unchanged", [&] { ++stats_.unchanged; ++stats_.fetched; kept_.insert(text); });
      return before->second.links;
    }
    if (fetched.outcome != FetchOutcome::ok) {
      const std::string reason = fetched.outcome == FetchOutcome::not_modified
                                     ? std::string("304 to an unconditional request")
                                     : failure_reason(fetched);
      // A transient failure keeps what the last run stored; a 4xx, a redirect away does not.
      const bool transient = fetched.outcome == FetchOutcome::timeout ||
                             fetched.outcome == FetchOutcome::network ||
                             (fetched.outcome == FetchOutcome::http_error && fetched.status >= 500) ||
                             fetched.status == 429;
      finish(text, "failed: " + reason, [&] {
        ++stats_.failed;
        ++stats_.failures[reason];
        if (transient) kept_.insert(text);
      });
      return before != previous_.end() && transient ? before->second.links : std::vector<std::string>{};
    }
    const std::string path = fetched.final_url.text();
    if (path != text && !scope_.wanted(fetched.final_url)) {
      finish(text, "skipped: redirected out of scope", [&] { ++stats_.skipped; ++stats_.skips["redirected out of scope"]; });
      return {};
    }
    Converted converted = convert_body(fetched, options_.split);
    // Every link to the crawl's sites, stored as found: admit() applies this run's scope, so a
    // later run with other --include / --exclude patterns still follows a 304 page's links.
    std::vector<std::string> links;
    std::set<std::string> distinct;
    for (const WebUrl& link : converted.links)
      if (scope_.same_site(link) && distinct.insert(link.text()).second) links.push_back(link.text());
    if (!converted.document) {
      finish(text, "skipped: " + converted.skipped, [&] {
        ++stats_.fetched;
        ++stats_.skipped;
        ++stats_.skips[converted.skipped];
        stats_.bytes_fetched += fetched.body.size();
      });
      return links;
    }
    const std::string hash = std::string(web_converter_version) + "-" + sha256_hex(fetched.body);
    const auto stored = previous_.find(path);
    bool duplicate = false;
    {
      const std::lock_guard lock(mutex_);
      duplicate = !indexed_.insert(path).second;  // two URLs redirected to one page
    }
    if (duplicate) {
      finish(text, "skipped: same page as another URL", [&] { ++stats_.fetched; ++stats_.skipped; ++stats_.skips["same page as another URL"]; });
      return links;
    }
    if (stored != previous_.end() && stored->second.content_hash == hash && stored->second.url == path) {
      finish(text, "unchanged", [&] { ++stats_.fetched; ++stats_.unchanged; kept_.insert(path); stats_.bytes_fetched += fetched.body.size(); });
      return links;
    }
    FileDocument file{path, path, hash, static_cast<std::int64_t>(fetched.body.size()), converted.kind,
                      converted.language, std::move(*converted.document), fetched.etag,
                      fetched.last_modified, links};
    const bool added = stored == previous_.end();
    std::size_t chunks = 0;
    for (const Page& page : file.document.pages) chunks += page.chunks.size();
    const std::size_t pages = file.document.pages.size(), examples = file.document.code_examples.size();
    queue_write(std::move(file));
    finish(text, added ? "added" : "updated", [&] {
      ++stats_.fetched;
      ++(added ? stats_.added : stats_.updated);
      stats_.pages += pages;
      stats_.chunks += chunks;
      stats_.code_examples += examples;
      stats_.bytes_fetched += fetched.body.size();
      kept_.insert(path);
    });
    return links;
  }

  template <typename Update>
  void finish(const std::string& url, const std::string& outcome, const Update& update) {
    const std::lock_guard lock(mutex_);
    update();
    ++stats_.done;
    if (progress_) progress_(stats_, PageEvent{url, outcome});
  }

  void queue_write(FileDocument file) {
    std::vector<FileDocument> full;
    {
      const std::lock_guard lock(mutex_);
      pending_.push_back(std::move(file));
      if (pending_.size() < options_.batch_pages) return;
      full.swap(pending_);
    }
    store_.write_files(options_.source_id, full);  // outside the mutex: the store serialises
  }

  void flush() {
    if (!pending_.empty()) store_.write_files(options_.source_id, pending_);
    pending_.clear();
  }

  KnowledgeStore& store_;
  const WebIngestOptions& options_;
  std::vector<WebUrl> starts_;
  CrawlScope scope_;
  Fetcher fetcher_;
  const WebIngester::Progress& progress_;

  std::map<std::string, FileState> previous_;   // read-only once the workers run
  std::map<std::string, RobotsRules> robots_;   // filled on the crawl's own thread
  std::set<std::string> admitted_;              // crawl's own thread

  std::mutex mutex_;  // guards what workers share:
  WebIngestStats stats_;
  std::set<std::string> kept_, indexed_;
  std::vector<FileDocument> pending_;
};

}  // namespace

bool is_web_url(std::string_view argument) {
  return argument.starts_with("http://") || argument.starts_with("https://");
}

WebIngester::WebIngester(KnowledgeStore& store, WebIngestOptions options)
    : store_(store), options_(std::move(options)) {}

WebIngestStats WebIngester::run(std::span<const std::string> start_urls, const Progress& progress) {
  if (options_.source_id.empty() || std::any_of(options_.source_id.begin(), options_.source_id.end(),
                                                [](unsigned char c) { return c < 0x20; }))
    throw std::invalid_argument("the source name must be non-empty text without control characters");
  if (start_urls.empty()) throw std::invalid_argument("no URL to crawl");
  if (options_.max_pages == 0) throw std::invalid_argument("--max-pages must be at least 1");
  std::vector<WebUrl> starts;
  for (const std::string& text : start_urls) {
    auto url = parse_url(text);
    if (!url) throw std::invalid_argument("not an http(s) URL: " + text);
    starts.push_back(std::move(*url));
  }
  Crawl crawl(store_, options_, std::move(starts), progress);
  return crawl.run();
}

}  // namespace mcpgate::knowledge
