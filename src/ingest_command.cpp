#include "mcpgate/ingest_command.hpp"

#include "mcpgate/backend/curl_global.hpp"
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/knowledge/ingest.hpp"
#include "mcpgate/knowledge/web_ingest.hpp"
#include "mcpgate/store/data_path.hpp"
#include "mcpgate/util/flag_values.hpp"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace mcpgate::knowledge {

namespace {

// Progress on stderr: a self-overwriting line at most four times a second on a terminal; one
// line every 1000 files otherwise (logs should not fill up with progress).
class ProgressLine {
 public:
  ProgressLine() : terminal_(isatty(STDERR_FILENO) == 1) {}

  void update(const IngestStats& stats) {
    if (terminal_) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(250) && stats.files_scanned != stats.files_found) return;
      last_ = now;
      std::fprintf(stderr, "\r%s", line(stats).c_str());
      shown_ = true;
    } else if (stats.files_scanned % 1000 == 0) {
      std::fprintf(stderr, "%s\n", line(stats).c_str());
    }
  }

  // Ends the self-overwriting line before anything else is printed.
  void interrupt() {
    if (shown_) std::fputc('\n', stderr);
    shown_ = false;
  }

 private:
  static std::string line(const IngestStats& s) {
    return "ingest: " + std::to_string(s.files_scanned) + "/" + std::to_string(s.files_found) +
           " files, " + std::to_string(s.added + s.updated) + " indexed, " +
           std::to_string(s.unchanged) + " unchanged, " + std::to_string(s.skipped) + " skipped";
  }

  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// The crawl's progress on stderr: on a terminal a self-overwriting bar (fetched, queued, failed,
// pages a second) at most four times a second; otherwise one plain line per URL, which is what
// a log or a CI job wants to read back.
class CrawlProgress {
 public:
  CrawlProgress() : terminal_(isatty(STDERR_FILENO) == 1), started_(std::chrono::steady_clock::now()) {}

  void update(const WebIngestStats& stats, const PageEvent& event) {
    if (!terminal_) {
      std::fprintf(stderr, "%s: %s\n", printable_name(event.url).c_str(), printable_name(event.outcome).c_str());
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250) && stats.done != stats.admitted) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const std::size_t queued = stats.admitted - stats.done;
    const double share = stats.admitted == 0 ? 0 : static_cast<double>(stats.done) / static_cast<double>(stats.admitted);
    constexpr int width = 24;
    const int filled = static_cast<int>(share * width);
    std::fprintf(stderr, "\r[%s%s] %zu fetched, %zu queued, %zu failed, %.1f pages/s ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), stats.fetched, queued,
                 stats.failed, seconds > 0 ? static_cast<double>(stats.done) / seconds : 0.0);
    shown_ = true;
  }

  void interrupt() {
    if (shown_) std::fputc('\n', stderr);
    shown_ = false;
  }

 private:
  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point started_, last_{};
};

void print_reasons(const char* heading, const std::map<std::string, std::size_t>& reasons) {
  if (reasons.empty()) return;
  std::printf("  %s:", heading);
  bool first = true;
  for (const auto& entry : reasons) {
    std::printf("%s %zu %s", first ? "" : ",", entry.second, printable_name(entry.first).c_str());
    first = false;
  }
  std::printf("\n");
}

void print_crawl_summary(const WebIngestStats& s) {
  std::printf("  crawl: %zu URLs fetched in %.1f s (%.1f pages/s, %.1f MB), %zu failed, %zu disallowed by "
              "robots.txt, %zu past --max-pages/--max-depth\n",
              s.fetched, s.seconds, s.seconds > 0 ? static_cast<double>(s.done) / s.seconds : 0.0,
              static_cast<double>(s.bytes_fetched) / 1e6, s.failed, s.disallowed, s.over_limit);
  std::printf("  pages: %zu added, %zu updated, %zu unchanged, %zu removed, %zu skipped\n", s.added,
              s.updated, s.unchanged, s.removed, s.skipped);
  std::printf("  written: %zu pages, %zu chunks, %zu code examples\n", s.pages, s.chunks, s.code_examples);
  print_reasons("failures", s.failures);
  print_reasons("skipped", s.skips);
}

// A whole number flag within [min, max] (decimal digits only: see util/flag_values.hpp).
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        if (const auto refusal = util::refuse_whole_number(value, min, max)) return *refusal;
        value.erase(0, std::min(value.find_first_not_of('0'), value.size() - 1));  // not octal
        return {};
      },
      std::to_string(min) + "-" + std::to_string(max));
}

CLI::Validator seconds_between(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        if (const auto refusal = util::refuse_seconds(value, min, max)) return *refusal;
        return {};
      },
      "seconds");
}

}  // namespace

int run_ingest_command(int argc, char** argv) {
  CLI::App app{
      "Index Markdown, text, source and PDF files, or documentation sites (http:// and https:// "
      "arguments are crawled), into a knowledge source of the embedded store, for the rag_* "
      "tools. Re-running is idempotent: unchanged files and pages are skipped, changed ones "
      "replaced, and files gone from a folder or pages gone from a site removed.",
      "mcpgate ingest"};
  std::vector<std::string> paths;
  std::string source, url_base, data;
  std::uintmax_t max_file_bytes = IngestOptions{}.max_file_bytes;
  bool follow_symlinks = false;
  app.add_option("paths", paths, "Files, folders and URLs (a site's pages under the URL's folder) to index")
      ->required();
  app.add_option("--source", source, "Knowledge source to fill (its source_id), e.g. react-docs")
      ->required();
  app.add_option("--url-base", url_base,
                 "URL that the given folders are published at; page URLs are this + the file's "
                 "relative path (default: file:// URLs)");
  app.add_option("--data", data, "SQLite database file (default: $XDG_DATA_HOME/mcpgate/mcpgate.db)")
      ->envname("MCPGATE_DATA");
  app.add_option("--max-file-size", max_file_bytes,
                 "Skip files larger than this many bytes (at most 1 GiB: a file is read whole); "
                 "files that do not know their size (procfs) are read up to it and no further")
      ->transform(CLI::Validator(
          [](std::string& value) -> std::string {
            if (const auto refusal = util::refuse_whole_number(value, 1, max_file_limit)) return *refusal;
            value.erase(0, std::min(value.find_first_not_of('0'), value.size() - 1));  // not octal
            return {};
          },
          "1-" + std::to_string(max_file_limit)))
      ->capture_default_str();
  app.add_flag("--follow-symlinks", follow_symlinks,
               "Follow symbolic links that lead outside the folders given (by default only links "
               "to files inside them are followed)");

  WebIngestOptions web;
  std::uintmax_t max_page_bytes = web.fetch.max_bytes;
  double delay_seconds = static_cast<double>(web.fetch.delay.count()) / 1000;
  double timeout_seconds = static_cast<double>(web.fetch.timeout.count()) / 1000;
  app.add_option("--max-pages", web.max_pages,
                 "URLs: crawl at most this many pages (a large documentation site; stops a crawl "
                 "that wanders into generated pages)")
      ->transform(whole_number(1, 10'000'000))->capture_default_str();
  app.add_option("--max-depth", web.max_depth,
                 "URLs: follow links at most this many hops from a start URL (documentation is "
                 "shallow; calendars and tag clouds are not)")
      ->transform(whole_number(0, 1000))->capture_default_str();
  app.add_option("--include", web.include,
                 "URLs: crawl only URLs matching one of these globs ('*' any text), e.g. "
                 "'https://x.dev/docs/v2/*'");
  app.add_option("--exclude", web.exclude, "URLs: never crawl URLs matching one of these globs");
  app.add_option("--per-host", web.fetch.per_host,
                 "URLs: requests in flight at once per site (a few, as a browser opens)")
      ->transform(whole_number(1, 16))->capture_default_str();
  app.add_option("--delay", delay_seconds,
                 "URLs: seconds between the starts of two requests to a site (raised by its "
                 "robots.txt Crawl-delay)")
      ->transform(seconds_between(0, 60))->capture_default_str();
  app.add_option("--page-timeout", timeout_seconds,
                 "URLs: give up on a page after this many seconds (redirects and retries apart)")
      ->transform(seconds_between(0.1, 600))->capture_default_str();
  app.add_option("--batch-pages", web.batch_pages,
                 "URLs: pages written per transaction (more is fewer commits; a killed crawl "
                 "loses at most this many pages' work)")
      ->transform(whole_number(1, 100'000))->capture_default_str();
  app.add_option("--max-page-size", max_page_bytes,
                 "URLs: skip a page or PDF whose body (decompressed) is over this many bytes")
      ->transform(whole_number(1024, max_file_limit))->capture_default_str();

  try {
    // argv[1] is "ingest": parse what follows it.
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  std::vector<std::string> urls;
  std::vector<std::string> local;
  for (const std::string& argument : paths) (is_web_url(argument) ? urls : local).push_back(argument);

  ProgressLine progress;
  CrawlProgress crawl_progress;
  try {
    const std::filesystem::path data_path = data.empty() ? store::default_data_path() : std::filesystem::path(data);
    store::ensure_parent_directories(data_path);
    backend::EmbeddedBackend backend(data_path);
    KnowledgeStore store(backend.database());

    if (!urls.empty()) {
      const backend::CurlGlobal curl;  // before the crawl's threads use libcurl
      web.source_id = source;
      web.fetch.max_bytes = static_cast<std::size_t>(max_page_bytes);
      web.fetch.delay = std::chrono::milliseconds(static_cast<long long>(delay_seconds * 1000));
      web.fetch.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
      WebIngester crawler(store, web);
      const WebIngestStats stats = crawler.run(
          urls, [&](const WebIngestStats& s, const PageEvent& e) { crawl_progress.update(s, e); });
      crawl_progress.interrupt();
      std::printf("crawled into source \"%s\" in %s\n", printable_name(source).c_str(),
                  printable_name(data_path.string()).c_str());
      print_crawl_summary(stats);
      if (stats.fetched == 0 && stats.failed > 0) {
        std::fprintf(stderr, "mcpgate ingest: no page could be fetched\n");
        return 1;
      }
      if (local.empty()) return 0;
    }

    IngestOptions options;
    options.source_id = source;
    options.url_base = url_base;
    options.max_file_bytes = max_file_bytes;
    options.follow_symlinks = follow_symlinks;
    Ingester ingester(store, options);
    const std::vector<std::filesystem::path> inputs(local.begin(), local.end());
    const IngestStats stats = ingester.run(
        inputs, [&](const IngestStats& s) { progress.update(s); },
        [&](const std::string& message) {
          progress.interrupt();
          std::fprintf(stderr, "warning: %s\n", printable_name(message).c_str());
        });
    progress.interrupt();

    std::printf("ingested source \"%s\" into %s in %.1f s\n", printable_name(source).c_str(),
                printable_name(data_path.string()).c_str(), stats.seconds);
    std::printf("  files: %zu scanned, %zu added, %zu updated, %zu unchanged, %zu removed, %zu skipped\n",
                stats.files_scanned, stats.added, stats.updated, stats.unchanged, stats.removed,
                stats.skipped);
    std::printf("  written: %zu pages, %zu chunks, %zu code examples (%.1f MB)\n", stats.pages,
                stats.chunks, stats.code_examples, static_cast<double>(stats.bytes_indexed) / 1e6);
    return 0;
  } catch (const std::exception& e) {
    progress.interrupt();
    crawl_progress.interrupt();
    std::fprintf(stderr, "mcpgate ingest: %s\n", printable_name(e.what()).c_str());
    return 1;
  }
}

}  // namespace mcpgate::knowledge
