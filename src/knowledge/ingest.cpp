#include "mcpgate/knowledge/ingest.hpp"

#include "mcpgate/knowledge/content_hash.hpp"
#include "mcpgate/knowledge/file_types.hpp"
#include "mcpgate/knowledge/pdf_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iterator>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>
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
  fs::path read_from;  // the file to open: `absolute`, or a symbolic link's resolved target
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

// Closes a descriptor when the read is over, however it ends.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// A file's bytes, or why it is not read (the message of a skip warning).
struct FileContent {
  std::optional<std::string> bytes;
  std::string refused;
};

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Reads a regular file, at most `max_bytes`. Opened without blocking (a FIFO would wait for a
// writer) and checked on the open descriptor, so a file swapped for a FIFO or a device between
// the walk and the read is caught too. The size a file reports is not trusted (procfs reports 0
// and /proc/kcore terabytes): reading stops one byte past the limit.
FileContent read_file(const fs::path& path, std::uintmax_t max_bytes) {
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return {std::nullopt, errno_text(errno)};
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return {std::nullopt, errno_text(errno)};
  if (!S_ISREG(info.st_mode)) return {std::nullopt, "not a regular file (a FIFO, socket or device)"};
  const auto over = [&] {
    return std::to_string(max_bytes) + "-byte limit";
  };
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes)
    return {std::nullopt, std::to_string(info.st_size) + " bytes is over the " + over()};
  std::string content;
  content.resize(static_cast<std::size_t>(std::min<std::uintmax_t>(
      max_bytes + 1, std::max<std::uintmax_t>(static_cast<std::uintmax_t>(info.st_size) + 1, 4096))));
  std::size_t used = 0;
  for (;;) {
    if (used == content.size()) {
      if (used > max_bytes) break;
      content.resize(static_cast<std::size_t>(std::min<std::uintmax_t>(max_bytes + 1, used * 2)));
    }
    const ssize_t n = ::read(fd.get(), content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {std::nullopt, "read error: " + errno_text(errno)};
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_bytes)
    return {std::nullopt, "more than " + std::to_string(max_bytes) + " bytes (its size was not "
                          "known in advance) is over the " + over()};
  content.resize(used);
  return {std::move(content), {}};
}

// Is `path` the folder `root` or inside it?
bool within(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          (root.back() == '/' || path[root.size()] == '/'));
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

// A folder's device and inode: the same folder reached twice has the same pair.
using FolderId = std::pair<dev_t, ino_t>;

std::optional<FolderId> folder_id(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FolderId{info.st_dev, info.st_ino};
}

// The indexable files under `root` (a folder given on the command line, fully resolved), as
// ingest.hpp describes: hidden and skipped folders left out, symbolic links followed only to a
// file inside `root` unless `follow_symlinks`, each folder walked once.
template <typename Warn>
void walk(const fs::path& root, const fs::path& given, bool follow_symlinks,
          std::vector<Candidate>& out, const Warn& warn) {
  const std::string root_text = root.generic_string();
  std::set<FolderId> folders;  // walked already: a link back up, or two links to one folder
  if (const auto id = folder_id(root)) folders.insert(*id);
  auto options = fs::directory_options::skip_permission_denied;
  if (follow_symlinks) options |= fs::directory_options::follow_directory_symlink;
  std::error_code error;
  fs::recursive_directory_iterator it(root, options, error);
  if (error) throw std::runtime_error("cannot read folder " + given.string() + ": " + error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) {
      warn("skipping part of " + given.string() + ": " + error.message());
      error.clear();
      continue;
    }
    const fs::directory_entry& entry = *it;
    const fs::path& path = entry.path();
    std::error_code ignored;
    const bool directory = entry.is_directory(ignored);  // a link's target's type
    if (hidden(path) || (directory && skipped_directory(path))) {
      if (directory) it.disable_recursion_pending();
      continue;
    }
    fs::path read_from = path;
    if (entry.is_symlink(ignored)) {
      std::error_code unresolved;
      const fs::path target = fs::canonical(path, unresolved);
      if (unresolved) continue;  // dangling, or a loop of links: nothing to read
      if (!follow_symlinks) {
        if (!within(target.generic_string(), root_text)) {
          warn("skipped " + path.lexically_relative(root).generic_string() +
               ": a symbolic link to outside the folder (--follow-symlinks follows it)");
          continue;
        }
        if (directory) continue;  // a folder inside: its files are reached where they are
      }
      read_from = target;
    }
    if (directory) {
      if (const auto id = folder_id(path); !id || !folders.insert(*id).second)
        it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ignored)) continue;  // FIFOs, sockets, devices
    if (auto type = classify_path(path))
      out.push_back(Candidate{path, path.lexically_relative(root), *type, read_from});
  }
}

}  // namespace

std::string printable_name(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  auto escape = [&](std::string& out, unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xF];
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      escape(out, c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // A whole, shortest-form UTF-8 sequence is kept, except U+0080-U+009F (C1 controls: CSI
      // is U+009B); anything else is escaped byte by byte.
      const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      bool valid = length > 0 && c <= 0xF4 && i + length <= text.size();
      for (std::size_t k = 1; valid && k < length; ++k)
        valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
      if (valid && length == 3) {
        const auto second = static_cast<unsigned char>(text[i + 1]);
        valid = !(c == 0xE0 && second < 0xA0) && !(c == 0xED && second >= 0xA0);  // overlong, surrogate
      }
      if (valid && length == 4) {
        const auto second = static_cast<unsigned char>(text[i + 1]);
        valid = !(c == 0xF0 && second < 0x90) && !(c == 0xF4 && second >= 0x90);
      }
      if (valid && length == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0)
        valid = false;  // C1 control
      if (valid) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        escape(out, c);
        ++i;
      }
    }
  }
  return out;
}

std::string file_url(const std::string& url_base, const fs::path& relative, const fs::path& absolute) {
  if (url_base.empty()) return "file://" + percent_encode_path(absolute.generic_string());
  std::string base = url_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + percent_encode_path(relative.generic_string());
}

Ingester::Ingester(KnowledgeStore& store, IngestOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.max_file_bytes == 0 || options_.max_file_bytes > max_file_limit)
    throw std::invalid_argument("the file size limit must be 1 byte to 1 GiB");
}

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
      walk(absolute, given, options_.follow_symlinks, candidates, warn);
    } else {
      explicit_files.insert(absolute.generic_string());
      if (auto type = classify_path(absolute)) {
        candidates.push_back(Candidate{absolute, absolute.filename(), *type, absolute});
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
    FileContent read = read_file(candidate.read_from, options_.max_file_bytes);
    if (!read.bytes) {
      warn("skipped " + display + ": " + read.refused);
      return std::nullopt;
    }
    if (candidate.type.language != "pdf" && looks_binary(*read.bytes)) {
      warn("skipped " + display + ": binary content");
      return std::nullopt;
    }
    return std::move(read.bytes);
  };

  for (const Candidate& candidate : candidates) {
    ++stats.files_scanned;
    const std::string path = candidate.absolute.generic_string();
    const std::string display = candidate.relative.generic_string();
    const auto content = load(candidate, display);
    std::optional<PdfText> pdf;
    if (content && candidate.type.language == "pdf") {
      pdf = pdf_to_markdown(*content, candidate.absolute.filename().string());
      if (!pdf->markdown) warn("skipped " + display + ": " + pdf->refused);
    }
    if (!content || (pdf && !pdf->markdown)) {
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

    const std::string text = pdf ? *pdf->markdown : sanitize_utf8(*content);
    FileDocument file{path,
                      url,
                      hash,
                      static_cast<std::int64_t>(content->size()),
                      pdf ? "pdf" : kind_name(candidate.type.kind),
                      candidate.type.language,
                      split_document(candidate.type.kind, text, candidate.absolute.filename().string(),
                                     candidate.type.language, options_.split),
                      {},
                      {},
                      {}};
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
