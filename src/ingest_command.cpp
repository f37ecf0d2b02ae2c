#include "mcpgate/ingest_command.hpp"

#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/knowledge/ingest.hpp"
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

}  // namespace

int run_ingest_command(int argc, char** argv) {
  CLI::App app{
      "Index Markdown, text and source files into a knowledge source of the embedded store, for "
      "the rag_* tools. Re-running is idempotent: unchanged files are skipped, changed files "
      "replaced, and files gone from a folder removed.",
      "mcpgate ingest"};
  std::vector<std::string> paths;
  std::string source, url_base, data;
  std::uintmax_t max_file_bytes = IngestOptions{}.max_file_bytes;
  bool follow_symlinks = false;
  app.add_option("paths", paths, "Files and folders to index")->required();
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

  try {
    // argv[1] is "ingest": parse what follows it.
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  ProgressLine progress;
  try {
    const std::filesystem::path data_path = data.empty() ? store::default_data_path() : std::filesystem::path(data);
    store::ensure_parent_directories(data_path);
    backend::EmbeddedBackend backend(data_path);
    KnowledgeStore store(backend.database());

    IngestOptions options;
    options.source_id = source;
    options.url_base = url_base;
    options.max_file_bytes = max_file_bytes;
    options.follow_symlinks = follow_symlinks;
    Ingester ingester(store, options);
    const std::vector<std::filesystem::path> inputs(paths.begin(), paths.end());
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
    std::fprintf(stderr, "mcpgate ingest: %s\n", printable_name(e.what()).c_str());
    return 1;
  }
}

}  // namespace mcpgate::knowledge
