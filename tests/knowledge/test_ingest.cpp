// Ingest of a generated tree of 2,000 Markdown files: search ranks the known documents where
// it should, a re-run changes nothing, an edit is picked up and a deletion removes the pages.
#include "knowledge_fixture.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <set>

using namespace knowledge_test;

namespace {

constexpr int file_count = 2000;

// Deterministic filler words (a small linear congruential generator over a fixed vocabulary).
class Words {
 public:
  explicit Words(std::uint32_t seed) : state_(seed) {}
  std::string next() {
    static const char* vocabulary[] = {
        "server", "client", "request", "response", "config", "option", "module", "handler",
        "session", "buffer", "stream", "thread", "socket", "format", "parser", "record",
        "value", "index", "table", "query", "schema", "field", "event", "timer", "cache",
        "queue", "worker", "batch", "token", "header", "payload", "route", "status", "error",
        "result", "object", "string", "number", "array", "folder"};
    state_ = state_ * 1664525u + 1013904223u;
    return vocabulary[(state_ >> 16) % (sizeof vocabulary / sizeof *vocabulary)];
  }

 private:
  std::uint32_t state_;
};

// Three sections of two 60-word paragraphs. `special` replaces the first words of the first
// paragraph of section 2, so every file has the same number of tokens.
std::string document(int n, const std::vector<std::string>& special = {}) {
  Words words(static_cast<std::uint32_t>(n) * 7919u + 1u);
  std::string text = "# Document " + std::to_string(n) + "\n\n";
  for (int section = 1; section <= 3; ++section) {
    if (section > 1) text += "## Part " + std::to_string(section) + "\n\n";
    for (int paragraph = 0; paragraph < 2; ++paragraph) {
      for (int w = 0; w < 60; ++w) {
        const std::size_t index = static_cast<std::size_t>(w);
        const bool replace = section == 2 && paragraph == 0 && index < special.size();
        text += (replace ? special[index] : words.next()) + " ";
      }
      text += "\n\n";
    }
  }
  return text;
}

// Relative to the folder ingested ("docs"), as in the page URLs.
std::string relative_of(int n) {
  return "group" + std::to_string(n % 20) + "/doc" + std::to_string(n) + ".md";
}

std::string path_of(int n) { return "docs/" + relative_of(n); }

std::vector<std::string> repeated(const std::string& word, int times) {
  return std::vector<std::string>(static_cast<std::size_t>(times), word);
}

// Files with distinctive terms: a unique one, and one at three frequencies.
std::vector<std::string> special_for(int n) {
  if (n == 1234) return {"quetzalcoatlus"};
  if (n == 100) return repeated("brontosaurus", 6);
  if (n == 200) return repeated("brontosaurus", 3);
  if (n == 300) return repeated("brontosaurus", 1);
  return {};
}

const std::string url_base = "https://docs.example.com/";

std::string url_of(int n) { return url_base + relative_of(n); }

std::vector<std::string> urls(const json& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r["url"]);
  return out;
}

std::string section_url(int n) { return url_of(n) + "#part-2"; }

}  // namespace

TEST_CASE("ingest of 2,000 Markdown files: ranking, idempotent re-run, edit, deletion") {
  Fixture f;
  for (int n = 0; n < file_count; ++n) f.write(path_of(n), document(n, special_for(n)));
  f.write("docs/.git/config.md", "# hidden quetzalcoatlus\n");          // hidden folder: ignored
  f.write("docs/node_modules/pkg/readme.md", "quetzalcoatlus\n");      // ignored
  f.write("docs/image.md", std::string("binary\0quetzalcoatlus", 21));  // binary: skipped
  const std::vector<std::filesystem::path> roots{f.files() / "docs"};

  auto stats = f.ingest("docs", roots, url_base);
  CHECK(stats.files_found == file_count + 1);
  CHECK(stats.added == file_count);
  CHECK(stats.skipped == 1);
  CHECK(stats.pages == 3 * file_count);

  SUBCASE("a unique term ranks its page first in both modes") {
    auto chunks = f.search("quetzalcoatlus", "chunks", 5);
    REQUIRE(chunks.size() == 1);
    CHECK(chunks[0]["url"] == section_url(1234));
    auto pages = f.search("quetzalcoatlus", "pages", 5);
    REQUIRE(pages.size() == 1);
    CHECK(pages[0]["url"] == section_url(1234));
    CHECK(pages[0]["chunk_matches"] == 1);
    // Among common words too: the rare term decides the ranking.
    pages = f.search("server quetzalcoatlus", "pages", 3);
    REQUIRE(!pages.empty());
    CHECK(pages[0]["url"] == section_url(1234));
  }

  SUBCASE("a term's frequency orders the pages that contain it") {
    const std::vector<std::string> expected{section_url(100), section_url(200), section_url(300)};
    CHECK(urls(f.search("brontosaurus", "chunks", 10)) == expected);
    CHECK(urls(f.search("brontosaurus", "pages", 10)) == expected);
    CHECK(urls(f.search("Brontosaurus", "pages", 2)) ==
          std::vector<std::string>{section_url(100), section_url(200)});
  }

  SUBCASE("re-ingest reports everything unchanged and changes nothing") {
    const auto before = f.store().sources();
    const auto pages_before = f.get("/api/pages", {{"source_id", "docs"}}).body;
    stats = f.ingest("docs", roots, url_base);
    CHECK(stats.unchanged == file_count);
    CHECK(stats.added + stats.updated + stats.removed == 0);
    CHECK(stats.pages == 0);
    const auto after = f.store().sources();
    REQUIRE(after.size() == 1);
    CHECK(after[0].updated_at == before[0].updated_at);
    CHECK(after[0].page_count == 3 * file_count);
    CHECK(after[0].chunk_count == before[0].chunk_count);
    CHECK(f.get("/api/pages", {{"source_id", "docs"}}).body == pages_before);  // same ids, same order
  }

  SUBCASE("an edited file's new text is found and its old text is gone") {
    const std::string page_id = f.search("quetzalcoatlus", "pages", 1).at(0)["page_id"];
    f.write(path_of(1234), document(1234, {"velociraptor"}));
    stats = f.ingest("docs", roots, url_base);
    CHECK(stats.updated == 1);
    CHECK(stats.unchanged == file_count - 1);
    CHECK(f.search("quetzalcoatlus", "chunks", 5).empty());
    CHECK(f.search("quetzalcoatlus", "pages", 5).empty());
    const auto found = f.search("velociraptor", "pages", 5);
    REQUIRE(found.size() == 1);
    CHECK(found[0]["url"] == section_url(1234));
    CHECK(found[0]["page_id"] == page_id);  // same file, same section: same page id
    const auto page = f.get("/api/pages/" + page_id);
    CHECK(page.body_json->at("full_content").get<std::string>().find("velociraptor") != std::string::npos);
    CHECK(f.store().sources().at(0).page_count == 3 * file_count);
  }

  SUBCASE("a deleted file's pages are gone") {
    std::filesystem::remove(f.files() / path_of(300));
    stats = f.ingest("docs", roots, url_base);
    CHECK(stats.removed == 1);
    CHECK(urls(f.search("brontosaurus", "pages", 10)) ==
          std::vector<std::string>{section_url(100), section_url(200)});
    CHECK(f.get("/api/pages/by-url", {{"url", url_of(300)}}).status == 404);
    CHECK(f.store().sources().at(0).page_count == 3 * (file_count - 1));
    CHECK(f.store().sources().at(0).file_count == file_count - 1);
  }
}

TEST_CASE("ingest refuses a missing path before writing anything") {
  Fixture f;
  CHECK_THROWS_AS(f.ingest("docs", {f.files() / "missing"}), std::invalid_argument);
  CHECK(f.store().sources().empty());
  CHECK_THROWS_AS(f.ingest("", {f.files()}), std::invalid_argument);
}

TEST_CASE("a file given directly is indexed under its name and removed when no longer indexable") {
  Fixture f;
  const auto file = f.write("one/notes.md", "# Notes\n\nkumquat harvest\n");
  auto stats = f.ingest("notes", {file}, "https://x.example/");
  CHECK(stats.added == 1);
  CHECK(f.search("kumquat").at(0)["url"] == "https://x.example/notes.md");
  f.write("one/notes.md", std::string("\0binary", 7));
  stats = f.ingest("notes", {file}, "https://x.example/");
  CHECK(stats.skipped == 1);
  CHECK(stats.removed == 1);
  CHECK(f.search("kumquat").empty());
}
