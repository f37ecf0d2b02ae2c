// Knowledge-base benchmark: generates a tree of Markdown files (deterministic pseudo-random
// text, 4 pages per file), ingests it into a fresh embedded store, then times searches through
// EmbeddedBackend's REST routes (JSON in and out included) in chunks and pages mode and over
// code examples. Prints a Markdown table. Not a test: nothing here asserts a speed.
//
//   search_bench [--pages N] [--queries N] [--dir PATH]
//   search_bench --generate-only --dir PATH [--pages N]
//
// --generate-only writes the tree into PATH/docs and nothing else (bench/run.sh's store workload
// ingests it into each store with `mcpgate ingest`), and prints one JSON line: the files, the
// pages, and a query of two words that matches a fair share of the pages.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/knowledge/ingest.hpp"
#include "mcpgate/knowledge/store.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using mcpgate::backend::json;

namespace {

class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }

 private:
  std::uint64_t state_;
};

// A vocabulary of pronounceable pseudo-words, drawn with a skew so that a few are very common
// and most are rare, roughly like natural text.
class Vocabulary {
 public:
  Vocabulary(std::size_t size, Random& random) {
    static const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve",
                                      "dra", "qui", "zen", "bor", "fal", "gri", "hul", "jex", "wyn"};
    while (words_.size() < size) {
      std::string word;
      const int parts = 2 + static_cast<int>(random.next() % 3);
      for (int i = 0; i < parts; ++i) word += syllables[random.next() % 18];
      if (std::find(words_.begin(), words_.end(), word) == words_.end()) words_.push_back(word);
    }
  }
  const std::string& draw(Random& random) const {
    const double u = random.unit();
    return words_[static_cast<std::size_t>(std::pow(u, 3.0) * static_cast<double>(words_.size()))];
  }
  const std::string& at(std::size_t i) const { return words_[i]; }
  std::size_t size() const { return words_.size(); }

 private:
  std::vector<std::string> words_;
};

std::string paragraph(const Vocabulary& vocabulary, Random& random, int words) {
  std::string text;
  for (int i = 0; i < words; ++i) text += vocabulary.draw(random) + (i + 1 < words ? " " : ".");
  return text;
}

// One file: 4 sections (pages) of 3 paragraphs; every third section has a code block.
std::string document(int n, const Vocabulary& vocabulary, Random& random) {
  std::string text = "# Topic " + std::to_string(n) + " " + vocabulary.draw(random) + "\n\n";
  for (int section = 0; section < 4; ++section) {
    if (section > 0) text += "## " + vocabulary.draw(random) + " " + vocabulary.draw(random) + "\n\n";
    for (int p = 0; p < 3; ++p) text += paragraph(vocabulary, random, 40 + static_cast<int>(random.next() % 60)) + "\n\n";
    if ((n + section) % 3 == 0) {
      text += "Example for " + vocabulary.draw(random) + ":\n\n```cpp\n";
      for (int line = 0; line < 6; ++line)
        text += "auto " + vocabulary.draw(random) + " = " + vocabulary.draw(random) + "(" + std::to_string(line) + ");\n";
      text += "```\n\n";
    }
  }
  return text;
}

struct Latency {
  double p50, p99, mean;
};

Latency percentiles(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  double sum = 0;
  for (double v : ms) sum += v;
  return {at(0.50), at(0.99), sum / static_cast<double>(ms.size())};
}

}  // namespace

int main(int argc, char** argv) {
  int pages = 10000, queries = 300;
  fs::path dir;
  bool generate_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--generate-only") generate_only = true;
    else if (i + 1 == argc) break;
    else if (flag == "--pages") pages = std::atoi(argv[++i]);
    else if (flag == "--queries") queries = std::atoi(argv[++i]);
    else if (flag == "--dir") dir = argv[++i];
  }
  if (generate_only && dir.empty()) {
    std::fprintf(stderr, "search_bench: --generate-only needs --dir\n");
    return 2;
  }
  const bool temporary = dir.empty();
  if (temporary) dir = fs::temp_directory_path() / ("mcpgate-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "docs");

  Random random(42);
  const Vocabulary vocabulary(5000, random);
  const int files = (pages + 3) / 4;
  for (int n = 0; n < files; ++n)
    std::ofstream(dir / "docs" / ("topic" + std::to_string(n) + ".md")) << document(n, vocabulary, random);
  if (generate_only) {
    // Words 30 and 90 of the skewed vocabulary: each is in roughly a fifth of the pages.
    const json line{{"files", files}, {"pages", files * 4}, {"query", vocabulary.at(30) + " " + vocabulary.at(90)}};
    std::printf("%s\n", line.dump().c_str());
    return 0;
  }

  mcpgate::backend::EmbeddedBackend backend(dir / "bench.db");
  mcpgate::knowledge::KnowledgeStore store(backend.database());
  mcpgate::knowledge::IngestOptions options;
  options.source_id = "bench";
  options.url_base = "https://bench.example/";
  mcpgate::knowledge::Ingester ingester(store, options);
  const std::vector<fs::path> roots{dir / "docs"};
  const auto first = ingester.run(roots);
  const auto again = ingester.run(roots);

  // Queries: one to three words, mixing common and rare ones.
  Random query_random(7);
  std::vector<std::string> texts;
  for (int q = 0; q < queries; ++q) {
    std::string text;
    const int words = 1 + static_cast<int>(query_random.next() % 3);
    for (int w = 0; w < words; ++w) {
      const std::string& word = (w == 0 && q % 2 == 0)
                                    ? vocabulary.at(query_random.next() % vocabulary.size())
                                    : vocabulary.draw(query_random);
      text += (w ? " " : "") + word;
    }
    texts.push_back(text);
  }
  struct Mode {
    const char* name;
    const char* path;
    const char* return_mode;
  };
  const Mode modes[] = {{"rag/query chunks", "/api/rag/query", "chunks"},
                        {"rag/query pages", "/api/rag/query", "pages"},
                        {"rag/code-examples", "/api/rag/code-examples", nullptr}};
  std::printf("| corpus | value |\n|---|---|\n");
  std::printf("| files / pages / chunks / code examples | %zu / %zu / %zu / %zu |\n", first.added,
              first.pages, first.chunks, first.code_examples);
  std::printf("| text indexed | %.1f MB |\n", static_cast<double>(first.bytes_indexed) / 1e6);
  std::printf("| ingest | %.2f s: %.0f pages/s, %.1f MB/s |\n", first.seconds,
              static_cast<double>(first.pages) / first.seconds,
              static_cast<double>(first.bytes_indexed) / 1e6 / first.seconds);
  std::printf("| re-ingest, nothing changed | %.2f s (%zu unchanged) |\n", again.seconds, again.unchanged);
  std::printf("| database file | %.1f MB |\n\n", static_cast<double>(fs::file_size(dir / "bench.db")) / 1e6);

  std::printf("| search (%d queries, match_count 5) | p50 ms | p99 ms | mean ms | mean results |\n", queries);
  std::printf("|---|---|---|---|---|\n");
  for (const Mode& mode : modes) {
    std::vector<double> ms;
    std::size_t results = 0;
    for (const std::string& text : texts) {
      json body{{"query", text}, {"match_count", 5}};
      if (mode.return_mode) body["return_mode"] = mode.return_mode;
      const auto start = std::chrono::steady_clock::now();
      const auto response = backend.request("POST", mode.path, {}, body, std::nullopt);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      if (response.status != 200) {
        std::fprintf(stderr, "query failed: %d %s\n", response.status, response.body.c_str());
        return 1;
      }
      results += response.body_json->at("results").size();
    }
    const Latency l = percentiles(ms);
    std::printf("| %s | %.2f | %.2f | %.2f | %.1f |\n", mode.name, l.p50, l.p99, l.mean,
                static_cast<double>(results) / static_cast<double>(texts.size()));
  }
  if (temporary) fs::remove_all(dir);
  return 0;
}
