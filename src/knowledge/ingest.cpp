#include "mcpgate/knowledge/ingest.hpp"

#include "mcpgate/knowledge/content_hash.hpp"
#include "mcpgate/knowledge/file_types.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mcpgate::knowledge {

namespace fs = std::filesystem;

namespace {

// Bumped whenever splitting changes, so that a re-run re-indexes files split the old way.
constexpr std::string_view splitter_version = "s1";

struct Candidate {
  fs::path absolute;
  fs::path relative;  // for the URL
  FileType type;
};

bool skipped_directory(const fs::path& dir) {
  const std::string name = dir.filename().string();
  return (name.size() > 1 && name.front() == '.') || name == "node_modules" ||
         name == "__pycache__";
}

bool hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name.front() == '.';
}

std::string percent_encode_path(const std::string& path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : path) {
    const auto b = static_cast<unsigned char>(c);
    const bool keep = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                      std::string_view("-._~/!$&'()*+,;=:@").find(c) != std::string_view::npos;
    if (keep) {
      out += c;
    } else {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0x0F];
    }
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error("read error");
  return std::move(content).str();
}

const char* kind_name(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::markdown: return "markdown";
    case DocumentKind::text: return "text";
    case DocumentKind::source: return "source";
  }
  return "text";
}

// Under `root` (a folder given on the command line)?
bool is_under(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         (root.back() == '/' || path[root.size()] == '/');
}

}  // namespace

std::string file_url(const std::string& url_base, const fs::path& relative, const fs::path& absolute) {
  if (url_base.empty()) return "file://" + percent_encode_path(absolute.generic_string());
  std::string base = url_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + percent_encode_path(relative.generic_string());
}

Ingester::Ingester(KnowledgeStore& store, IngestOptions options)
    : store_(store), options_(std::move(options)) {}

IngestStats Ingester::run(std::span<const fs::path> paths, const Progress& progress,
                          const Warning& warning) {
  const auto started = std::chrono::steady_clock::now();
  auto warn = [&](const std::string& message) {
    if (warning) warning(message);
  };
  if (options_.source_id.empty() || std::any_of(options_.source_id.begin(), options_.source_id.end(),
                                                [](unsigned char c) { return c < 0x20; }))
    throw std::invalid_argument("the source name must be non-empty text without control characters");
  if (paths.empty()) throw std::invalid_argument("no files or folders to ingest");

  // 1. Find the files (and the folders whose vanished files are to be removed).
  std::vector<Candidate> candidates;
  std::vector<std::string> roots;             // folders walked
  std::set<std::string> explicit_files;       // files named directly
  for (const fs::path& given : paths) {
    std::error_code error;
    const fs::path absolute = fs::weakly_canonical(fs::absolute(given), error);
    if (error || !fs::exists(absolute))
      throw std::invalid_argument("no such file or directory: " + given.string());
    if (fs::is_directory(absolute)) {
      roots.push_back(absolute.generic_string());
      fs::recursive_directory_iterator it(absolute, fs::directory_options::skip_permission_denied, error);
      if (error) throw std::runtime_error("cannot read folder " + given.string() + ": " + error.message());
      for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (error) {
          warn("skipping part of " + given.string() + ": " + error.message());
          error.clear();
          continue;
        }
        const fs::directory_entry& entry = *it;
        if (entry.is_directory()) {
          if (skipped_directory(entry.path())) it.disable_recursion_pending();
          continue;
        }
        if (hidden(entry.path()) || !entry.is_regular_file()) continue;
        if (auto type = classify_path(entry.path()))
          candidates.push_back(Candidate{entry.path(), entry.path().lexically_relative(absolute), *type});
      }
    } else {
      explicit_files.insert(absolute.generic_string());
      if (auto type = classify_path(absolute)) {
        candidates.push_back(Candidate{absolute, absolute.filename(), *type});
      } else {
        warn("skipped " + given.string() + ": not a Markdown, text or source file");
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.absolute < b.absolute; });
  candidates.erase(std::unique(candidates.begin(), candidates.end(),
                               [](const Candidate& a, const Candidate& b) { return a.absolute == b.absolute; }),
                   candidates.end());

  IngestStats stats;
  stats.files_found = candidates.size();
  store_.ensure_source(options_.source_id, options_.source_id, options_.url_base);
  const auto previous = store_.file_states(options_.source_id);

  // 2. Read, compare, split and write in batches.
  std::set<std::string> seen;
  std::vector<FileDocument> batch;
  std::size_t batch_bytes = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    store_.write_files(options_.source_id, batch);
    batch.clear();
    batch_bytes = 0;
  };

  // The file's bytes, or nullopt (with a warning) when it is not to be indexed.
  auto load = [&](const Candidate& candidate, const std::string& display) -> std::optional<std::string> {
    std::error_code error;
    const auto size = fs::file_size(candidate.absolute, error);
    if (error) {
      warn("skipped " + display + ": " + error.message());
      return std::nullopt;
    }
    if (size > options_.max_file_bytes) {
      warn("skipped " + display + ": " + std::to_string(size) + " bytes is over the " +
           std::to_string(options_.max_file_bytes) + "-byte limit");
      return std::nullopt;
    }
    try {
      std::string content = read_file(candidate.absolute);
      if (looks_binary(content)) {
        warn("skipped " + display + ": binary content");
        return std::nullopt;
      }
      return content;
    } catch (const std::exception& e) {
      warn("skipped " + display + ": " + e.what());
      return std::nullopt;
    }
  };

  for (const Candidate& candidate : candidates) {
    ++stats.files_scanned;
    const std::string path = candidate.absolute.generic_string();
    const std::string display = candidate.relative.generic_string();
    const auto content = load(candidate, display);
    if (!content) {
      ++stats.skipped;
      if (progress) progress(stats);
      continue;
    }

    seen.insert(path);
    const std::string hash = std::string(splitter_version) + "-" + sha256_hex(*content);
    const std::string url = file_url(options_.url_base, candidate.relative, candidate.absolute);
    const auto before = previous.find(path);
    if (before != previous.end() && before->second.content_hash == hash && before->second.url == url) {
      ++stats.unchanged;
      if (progress) progress(stats);
      continue;
    }
    ++(before == previous.end() ? stats.added : stats.updated);

    const std::string text = sanitize_utf8(*content);
    FileDocument file{path,
                      url,
                      hash,
                      static_cast<std::int64_t>(content->size()),
                      kind_name(candidate.type.kind),
                      candidate.type.language,
                      split_document(candidate.type.kind, text, candidate.absolute.filename().string(),
                                     candidate.type.language, options_.split)};
    stats.pages += file.document.pages.size();
    for (const Page& page : file.document.pages) stats.chunks += page.chunks.size();
    stats.code_examples += file.document.code_examples.size();
    stats.bytes_indexed += content->size();
    batch_bytes += content->size();
    batch.push_back(std::move(file));
    if (batch.size() >= options_.batch_files || batch_bytes >= options_.batch_bytes) flush();
    if (progress) progress(stats);
  }
  flush();

  // 3. Files from an earlier run that this run no longer indexes.
  std::vector<std::string> gone;
  for (const auto& entry : previous) {
    const std::string& path = entry.first;  // not a structured binding: clang 14 cannot capture those
    if (seen.contains(path)) continue;
    const bool covered = explicit_files.contains(path) ||
                         std::any_of(roots.begin(), roots.end(),
                                     [&](const std::string& root) { return is_under(path, root); });
    if (covered) gone.push_back(path);
  }
  store_.remove_files(options_.source_id, gone);
  stats.removed = gone.size();

  if (stats.added + stats.updated + stats.removed > 0 || previous.empty()) {
    std::string origin = options_.url_base;
    if (origin.empty()) {
      for (const fs::path& given : paths) origin += (origin.empty() ? "" : ", ") + given.string();
    }
    store_.refresh_source(options_.source_id,
                          "Documentation and code ingested from " + origin +
                              " (Markdown, text and source files; keyword search).");
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace mcpgate::knowledge
