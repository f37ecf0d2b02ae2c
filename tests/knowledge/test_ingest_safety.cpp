// What ingest reads and prints when the tree is hostile: symbolic links out of the folder (not
// followed unless asked, loops walked once), files that do not know their size (procfs: read
// up to the limit and no further), FIFOs (skipped, never waited on), and file names carrying
// line breaks or terminal escapes (printed escaped).
#include "knowledge_fixture.hpp"
#include "mcpgate/ingest_command.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace knowledge_test;
namespace fs = std::filesystem;
using mcpgate::knowledge::IngestOptions;
using mcpgate::knowledge::IngestStats;
using mcpgate::knowledge::Ingester;
using mcpgate::knowledge::KnowledgeStore;
using mcpgate::knowledge::printable_name;

namespace {

// Ingests `paths` into `f`'s store with `options` (source "t"), collecting the warnings.
IngestStats ingest(Fixture& f, const std::vector<fs::path>& paths, IngestOptions options,
                   std::vector<std::string>& warnings) {
  options.source_id = "t";
  KnowledgeStore store(f.backend().database());
  Ingester ingester(store, options);
  return ingester.run(paths, {}, [&](const std::string& w) { warnings.push_back(w); });
}

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

// What `mcpgate ingest ARGS...` writes to stdout and stderr (one file for both).
std::string run_command(std::vector<std::string> args, int& exit_code) {
  args.insert(args.begin(), {"mcpgate", "ingest"});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  char name[] = "/tmp/mcpgate-ingest-output-XXXXXX";
  const int out = ::mkstemp(name);
  REQUIRE(out >= 0);
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved_out = ::dup(STDOUT_FILENO), saved_err = ::dup(STDERR_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(out, STDERR_FILENO);
  exit_code = mcpgate::knowledge::run_ingest_command(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved_out, STDOUT_FILENO);
  ::dup2(saved_err, STDERR_FILENO);
  ::close(saved_out);
  ::close(saved_err);
  ::close(out);
  std::ifstream in(name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  ::unlink(name);
  return text.str();
}

}  // namespace

TEST_CASE("a symbolic link out of the folder is not followed unless follow_symlinks") {
  Fixture f;
  f.write("outside/secret.md", "# Secret\n\nzanzibar treasure map\n");
  f.write("docs/a.md", "# A\n\nkumquat\n");
  fs::create_symlink("../outside/secret.md", f.files() / "docs/leak.md");
  fs::create_symlink("../outside", f.files() / "docs/outdir");
  std::vector<std::string> warnings;
  IngestOptions options;

  const IngestStats stats = ingest(f, {f.files() / "docs"}, options, warnings);
  CHECK(stats.added == 1);
  CHECK(f.search("zanzibar").empty());
  CHECK(f.search("kumquat").size() == 1);
  CHECK(any_contains(warnings, "skipped leak.md: a symbolic link to outside the folder"));
  CHECK(any_contains(warnings, "skipped outdir: a symbolic link to outside the folder"));

  options.follow_symlinks = true;
  warnings.clear();
  const IngestStats followed = ingest(f, {f.files() / "docs"}, options, warnings);
  CHECK(followed.added == 2);  // leak.md and outdir/secret.md
  CHECK(f.search("zanzibar").size() == 2);
  CHECK(warnings.empty());
}

TEST_CASE("links inside the folder still work; link loops are walked once") {
  Fixture f;
  f.write("docs/a.md", "# A\n\nkumquat\n");
  f.write("docs/sub/b.md", "# B\n\nrambutan\n");
  fs::create_symlink("a.md", f.files() / "docs/alias.md");
  fs::create_symlink("..", f.files() / "docs/sub/up");           // back to docs
  fs::create_symlink("../sub", f.files() / "docs/sub/again");    // to itself
  fs::create_symlink("loop.md", f.files() / "docs/loop.md");     // a link to itself
  for (const bool follow : {false, true}) {
    CAPTURE(follow);
    Fixture g;  // a fresh store, the same files
    std::vector<std::string> warnings;
    IngestOptions options;
    options.follow_symlinks = follow;
    const IngestStats stats = ingest(g, {f.files() / "docs"}, options, warnings);
    // a.md, alias.md and sub/b.md; with links followed also sub/up/… and sub/again/… would
    // repeat the tree, but each folder is walked once.
    CHECK(stats.files_found == 3);
    CHECK(stats.added == 3);
    CHECK(warnings.empty());
  }
}

TEST_CASE("a file that does not know its size is read up to the limit and no further") {
  Fixture f;
  f.write("docs/a.md", "# A\n\nkumquat\n");
  // procfs reports size 0 for /proc/self/maps, which is several KiB long.
  fs::create_symlink("/proc/self/maps", f.files() / "docs/maps.txt");
  std::vector<std::string> warnings;
  IngestOptions options;
  options.follow_symlinks = true;
  options.max_file_bytes = 64;
  const IngestStats stats = ingest(f, {f.files() / "docs"}, options, warnings);
  CHECK(stats.added == 1);
  CHECK(stats.skipped == 1);
  CHECK(any_contains(warnings, "skipped maps.txt: more than 64 bytes (its size was not known in "
                               "advance) is over the 64-byte limit"));
}

TEST_CASE("FIFOs are skipped, never waited on, in a folder or given directly") {
  Fixture f;
  f.write("docs/a.md", "# A\n\nkumquat\n");
  const fs::path fifo = f.files() / "docs/pipe.md";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::vector<std::string> warnings;
  const IngestStats folder = ingest(f, {f.files() / "docs"}, IngestOptions{}, warnings);
  CHECK(folder.added == 1);
  const IngestStats direct = ingest(f, {fifo}, IngestOptions{}, warnings);
  CHECK(direct.skipped == 1);
  CHECK(any_contains(warnings, "skipped pipe.md: not a regular file (a FIFO, socket or device)"));
}

TEST_CASE("printable_name escapes what could forge a line or drive a terminal, keeps UTF-8") {
  CHECK(printable_name("docs/guide.md") == "docs/guide.md");
  CHECK(printable_name("caf\xC3\xA9/\xE6\x96\x87\xE6\x9B\xB8.md") == "caf\xC3\xA9/\xE6\x96\x87\xE6\x9B\xB8.md");
  CHECK(printable_name("a\nwarning: forged") == "a\\nwarning: forged");
  CHECK(printable_name("\x1b[2J\x1b]0;title\x07") == "\\x1b[2J\\x1b]0;title\\x07");
  CHECK(printable_name("tab\there\rDEL\x7f") == "tab\\there\\rDEL\\x7f");
  CHECK(printable_name("back\\slash") == "back\\\\slash");
  CHECK(printable_name("\xC2\x9B" "2J") == "\\xc2\\x9b2J");  // U+009B, CSI
  CHECK(printable_name("\x9B" "2J \xFF \xC3") == "\\x9b2J \\xff \\xc3");  // not UTF-8
  CHECK(printable_name("\xE0\x80\x80 \xED\xA0\x80") == "\\xe0\\x80\\x80 \\xed\\xa0\\x80");
}

TEST_CASE("mcpgate ingest prints file names escaped: one line per warning, no escape codes") {
  Fixture f;
  const std::string evil = "evil\nwarning: forged line\x1b[2J.md";
  f.write("docs/" + evil, std::string("\0binary", 7));
  f.write("docs/a.md", "# A\n\nkumquat\n");
  int code = -1;
  const std::string output =
      run_command({(f.files() / "docs").string(), "--source", "t", "--data",
                   (f.files() / "cli.db").string()},
                  code);
  CHECK(code == 0);
  CHECK(output.find('\x1b') == std::string::npos);
  CHECK(output.find("\nwarning: forged line") == std::string::npos);
  CHECK(output.find("warning: skipped evil\\nwarning: forged line\\x1b[2J.md: binary content\n") !=
        std::string::npos);
}

TEST_CASE("mcpgate ingest --max-file-size: a whole number of bytes from 1 to 1 GiB") {
  Fixture f;
  f.write("docs/a.md", "# A\n\nkumquat\n");
  for (const char* bad : {"0", "-1", "1e3", "0x100", "nan", "1073741825", "18446744073709551616"}) {
    CAPTURE(bad);
    int code = -1;
    const std::string output = run_command({(f.files() / "docs").string(), "--source", "t",
                                            "--data", (f.files() / "cli.db").string(),
                                            "--max-file-size", bad},
                                           code);
    CHECK(code == 2);
    CHECK(output.find("--max-file-size") != std::string::npos);
  }
}
