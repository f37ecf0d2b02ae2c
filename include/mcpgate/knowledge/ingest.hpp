// Ingest: files and folders -> one knowledge source, idempotently.
//
// Folders are walked recursively, skipping hidden entries (".git", ".venv"…), node_modules
// and __pycache__. Markdown, plain text and source files (see file_types.hpp) are indexed; other
// files in a folder are ignored. Binary files, files over max_file_bytes and unreadable files are
// skipped with a warning.
//
// What a folder's walk reads stays inside that folder (a cloned repository must not be able to
// pull ~/.ssh or /proc into the index): a symbolic link is followed only when its target, fully
// resolved, is inside the folder being ingested, and then only to a file (symlinked folders are
// not walked). With follow_symlinks every link is followed, folders too, and a folder reached
// twice (a link back to a parent, two links to one place) is walked once. Paths given directly
// are the caller's choice and are always followed.
//
// Only regular files are read: FIFOs, sockets and devices are skipped (a FIFO is opened without
// blocking). A file is read up to max_file_bytes and no further, whatever size it reports
// (procfs files report 0 and can be endless): more than that and it is skipped.
//
// Re-running is cheap and exact: a file whose content (and URL) is unchanged is not touched; a
// changed file's pages, chunks and examples are replaced in the same transaction that writes the
// new ones; a file that was ingested from a folder given again but is gone (or no longer
// indexable) is removed. Files are written in batches, one transaction per batch.
//
// A page's URL is url_base + the file's path relative to the folder given (the file name for a
// file given directly), or file://<absolute path> without url_base.
#pragma once

#include "mcpgate/knowledge/splitter.hpp"
#include "mcpgate/knowledge/store.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace mcpgate::knowledge {

struct IngestOptions {
  std::string source_id;  // required
  std::string url_base;   // optional
  std::uintmax_t max_file_bytes = 8 * 1024 * 1024;  // at most 1 GiB (see max_file_limit)
  bool follow_symlinks = false;  // follow links that leave the folder being ingested
  std::size_t batch_files = 250;                 // files per write transaction…
  std::size_t batch_bytes = 16 * 1024 * 1024;    // …or this much text, whichever comes first
  SplitOptions split;
};

struct IngestStats {
  std::size_t files_found = 0;    // indexable files found by the walk
  std::size_t files_scanned = 0;  // of those, looked at so far
  std::size_t added = 0, updated = 0, unchanged = 0, removed = 0, skipped = 0;
  std::size_t pages = 0, chunks = 0, code_examples = 0;  // written by this run
  std::uintmax_t bytes_indexed = 0;                      // of the files written
  double seconds = 0;
};

class Ingester {
 public:
  using Progress = std::function<void(const IngestStats&)>;      // after each file
  using Warning = std::function<void(const std::string& message)>;

  Ingester(KnowledgeStore& store, IngestOptions options);

  // Throws std::invalid_argument for a bad source id or a path that does not exist (before
  // anything is written), and store errors as they come.
  IngestStats run(std::span<const std::filesystem::path> paths, const Progress& progress = {},
                  const Warning& warning = {});

 private:
  KnowledgeStore& store_;
  IngestOptions options_;
};

// The largest max_file_bytes: a file is read into memory whole.
inline constexpr std::uintmax_t max_file_limit = std::uintmax_t{1} << 30;

// Text (a file name, a message naming one) as the ingest command prints it on a terminal: C0
// and C1 control characters, DEL, backslash and invalid UTF-8 bytes escaped (\n, \x1b, \\…),
// so a file named "a\nwarning: …" or carrying ESC sequences can neither forge an output line nor
// drive the terminal. Valid UTF-8 (accents, CJK…) is kept.
[[nodiscard]] std::string printable_name(std::string_view text);

// url_base joined with a relative path ("/" between them, path segments percent-encoded where
// a URL needs it), or file://<absolute path> when url_base is empty.
[[nodiscard]] std::string file_url(const std::string& url_base,
                                   const std::filesystem::path& relative,
                                   const std::filesystem::path& absolute);

}  // namespace mcpgate::knowledge
