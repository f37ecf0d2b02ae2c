// The pure parts of the knowledge base: splitting documents into pages, chunks and code
// examples; file classification; UTF-8 repair; hashes; user query -> FTS5 expression.
#include "mcpgate/knowledge/content_hash.hpp"
#include "mcpgate/knowledge/file_types.hpp"
#include "mcpgate/knowledge/fts_query.hpp"
#include "mcpgate/knowledge/splitter.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace mcpgate::knowledge;

namespace {

std::string repeat_paragraphs(const std::string& word, int paragraphs, int words_each) {
  std::string text;
  for (int p = 0; p < paragraphs; ++p) {
    for (int w = 0; w < words_each; ++w) text += word + std::to_string(p) + (w + 1 < words_each ? " " : "");
    text += "\n\n";
  }
  return text;
}

}  // namespace

TEST_CASE("Markdown pages split at level 1 and 2 headings, deeper headings stay inside") {
  const std::string md =
      "Intro before any heading.\n\n"
      "# Guide\n\nWelcome text.\n\n"
      "## Install\n\nRun the installer.\n\n### Linux\n\nUse apt.\n\n"
      "## Configure\n\nEdit the file.\n";
  const auto doc = split_markdown(md, "guide.md");
  REQUIRE(doc.pages.size() == 4);
  CHECK(doc.pages[0].section_title == "guide.md");
  CHECK(doc.pages[0].content == "Intro before any heading.");
  CHECK(doc.pages[1].section_title == "# Guide");
  CHECK(doc.pages[2].section_title == "## Install");
  CHECK(doc.pages[2].content.find("### Linux") != std::string::npos);
  CHECK(doc.pages[2].content.find("Use apt.") != std::string::npos);
  CHECK(doc.pages[3].section_title == "## Configure");
  for (int i = 0; i < 4; ++i) CHECK(doc.pages[static_cast<std::size_t>(i)].section_order == i);
  CHECK(doc.pages[3].word_count == 5);  // "## Configure Edit the file."
}

TEST_CASE("a heading with no text of its own is carried into the next page") {
  const auto doc = split_markdown("# Title\n\n## First\n\nBody.\n\n## Empty\n", "t.md");
  REQUIRE(doc.pages.size() == 1);
  CHECK(doc.pages[0].section_title == "# Title");
  CHECK(doc.pages[0].content == "# Title\n\n## First\n\nBody.\n\n## Empty");
}

TEST_CASE("headings inside fenced code and YAML front matter are not pages") {
  const std::string md =
      "---\ntitle: x\n---\n# Real\n\n```bash\n# not a heading\necho hi\n```\n";
  const auto doc = split_markdown(md, "x.md");
  REQUIRE(doc.pages.size() == 1);
  CHECK(doc.pages[0].section_title == "# Real");
  CHECK(doc.pages[0].content.find("title: x") == std::string::npos);
}

TEST_CASE("fenced blocks become code examples with language and the paragraph before as summary") {
  const std::string md =
      "# API\n\nCreate a client with the builder:\n\n```Python title=\"x\"\nclient = Builder().build()\n```\n\n"
      "## Other\n\n~~~\nplain block\n~~~\n\n```js\n```\n";
  const auto doc = split_markdown(md, "api.md");
  REQUIRE(doc.code_examples.size() == 2);  // the empty block is not an example
  CHECK(doc.code_examples[0].language == "python");
  CHECK(doc.code_examples[0].summary == "Create a client with the builder:");
  CHECK(doc.code_examples[0].code == "client = Builder().build()");
  CHECK(doc.code_examples[0].page_index == 0);
  CHECK(doc.code_examples[1].language == "");
  CHECK(doc.code_examples[1].summary == "Other");  // no paragraph: the heading
  CHECK(doc.code_examples[1].page_index == 1);
}

TEST_CASE("chunks are bounded, packed by paragraph, and lose no words") {
  const std::string text = repeat_paragraphs("word", 40, 30);  // 40 paragraphs of ~200 bytes
  const auto chunks = chunk_text(text, 500);
  CHECK(chunks.size() > 10);
  std::size_t words = 0;
  for (const auto& c : chunks) {
    CHECK(c.size() <= 500);
    CHECK(!c.empty());
    CHECK(c.front() != '\n');
    words += count_words(c);
  }
  CHECK(words == 40 * 30);
  // Two ~210-byte paragraphs fit in 500 bytes, three do not.
  CHECK(chunks[0].find("word1") != std::string::npos);
  CHECK(chunks[0].find("word2") == std::string::npos);
}

TEST_CASE("a fenced block is never split unless it alone exceeds the cap") {
  std::string code = "```cpp\n";
  for (int i = 0; i < 10; ++i) code += "int value_" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  code += "```";
  const std::string text = std::string(300, 'a') + "\n\n" + code + "\n\nafter";
  const auto chunks = chunk_text(text, 400);
  bool whole = false;
  for (const auto& c : chunks) whole = whole || (c.find("```cpp") != std::string::npos &&
                                                 c.find("value_9") != std::string::npos);
  CHECK(whole);

  const auto small = chunk_text(code, 100);  // the block exceeds the cap: cut at lines
  CHECK(small.size() > 1);
  for (const auto& c : small) CHECK(c.size() <= 100);
}

TEST_CASE("an over-long line is cut at spaces, and at UTF-8 boundaries when it has none") {
  std::string line;
  for (int i = 0; i < 100; ++i) line += "lorem ";
  for (const auto& c : chunk_text(line, 64)) {
    CHECK(c.size() <= 64);
    CHECK(c.find("lor ") == std::string::npos);  // no word cut in half
  }
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";  // é, two bytes each
  const auto pieces = chunk_text(accents, 33);
  std::size_t chars = 0;
  for (const auto& c : pieces) {
    CHECK(c.size() <= 33);
    CHECK(sanitize_utf8(c) == c);  // no sequence cut
    chars += count_chars(c);
  }
  CHECK(chars == 100);
}

TEST_CASE("plain text is paged by size with part titles") {
  const auto doc = split_plain_text(repeat_paragraphs("w", 50, 100), "notes.txt",
                                    SplitOptions{.max_chunk_bytes = 600, .max_page_bytes = 2000});
  REQUIRE(doc.pages.size() > 2);
  CHECK(doc.pages[0].section_title == "notes.txt (part 1 of " + std::to_string(doc.pages.size()) + ")");
  for (const auto& page : doc.pages) {
    CHECK(page.content.size() <= 2000);
    for (const auto& c : page.chunks) CHECK(c.size() <= 600);
  }
  CHECK(split_plain_text("short", "a.txt").pages.at(0).section_title == "a.txt");
  CHECK(split_plain_text(" \n\n ", "a.txt").pages.empty());
}

TEST_CASE("a source file is one page chunked by lines plus itself as code examples") {
  std::string source = "#!/bin/sh\n# Deploys the site.\n# Needs rsync.\n\nset -e\n";
  for (int i = 0; i < 200; ++i) source += "echo step " + std::to_string(i) + "\n";
  const auto doc = split_source(source, "deploy.sh", "bash",
                                SplitOptions{.max_chunk_bytes = 300, .max_code_example_bytes = 1000});
  REQUIRE(doc.pages.size() == 1);
  CHECK(doc.pages[0].section_title == "deploy.sh");
  CHECK(doc.pages[0].chunks.size() > 5);
  for (const auto& c : doc.pages[0].chunks) {
    CHECK(c.size() <= 300);
    CHECK(c.back() != '\n');
  }
  REQUIRE(doc.code_examples.size() > 1);
  CHECK(doc.code_examples[0].language == "bash");
  CHECK(doc.code_examples[0].summary.find("Deploys the site. Needs rsync.") != std::string::npos);
  CHECK(doc.code_examples[0].summary.starts_with("Part 1 of"));

  const auto cpp = split_source("/**\n * Parses flags.\n */\nint main() {}\n", "main.cpp", "cpp");
  REQUIRE(cpp.code_examples.size() == 1);
  CHECK(cpp.code_examples[0].summary == "Parses flags.");
  CHECK(split_source("int x;\n", "x.c", "c").code_examples.at(0).summary == "x.c (c)");
}

TEST_CASE("counts: words by whitespace, characters by code point") {
  CHECK(count_words("  one two\tthree\n") == 3);
  CHECK(count_words("") == 0);
  CHECK(count_chars("h\xC3\xA9llo") == 5);
}

TEST_CASE("file types by extension and name; binary and UTF-8 checks") {
  CHECK(classify_path("docs/Guide.MD")->kind == DocumentKind::markdown);
  CHECK(classify_path("a/notes.txt")->kind == DocumentKind::text);
  CHECK(classify_path("src/x.hpp")->language == "cpp");
  CHECK(classify_path("x.py")->language == "python");
  CHECK(classify_path("README")->kind == DocumentKind::text);
  CHECK(!classify_path("logo.png"));
  CHECK(!classify_path("package-lock.json"));
  CHECK(looks_binary(std::string("ab\0cd", 5)));
  CHECK(!looks_binary("plain"));
  CHECK(sanitize_utf8("caf\xE9!") == "caf\xEF\xBF\xBD!");
  CHECK(sanitize_utf8("\xEF\xBB\xBFok \xF0\x9F\x98\x80") == "ok \xF0\x9F\x98\x80");
  CHECK(sanitize_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST_CASE("sha256 and stable ids") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(std::string(1000, 'a')) ==
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  CHECK(sha256_hex(std::string(56, 'x')).size() == 64);
  const auto id = stable_uuid("source\0path");
  CHECK(id.size() == 36);
  CHECK(id[14] == '5');
  CHECK(id == stable_uuid("source\0path"));
  CHECK(id != stable_uuid("other"));
}

TEST_CASE("user queries become quoted FTS5 expressions") {
  CHECK(fts_match_expression("auth") == "\"auth\"");
  CHECK(fts_match_expression("JWT refresh") == "\"JWT refresh\" OR \"JWT\" OR \"refresh\"");
  CHECK(fts_match_expression("a OR b") == "\"a OR b\" OR \"a\" OR \"OR\" OR \"b\"");
  CHECK(fts_match_expression("title:x \"quoted") == "\"title:x \"\"quoted\" OR \"title:x\" OR \"\"\"quoted\"");
  CHECK(fts_match_expression("hook*") == "\"hook\" *");
  CHECK(fts_match_expression("Auth auth") == "\"Auth\"");
  CHECK(!fts_match_expression(""));
  CHECK(!fts_match_expression("   "));
  CHECK(!fts_match_expression("*** ( ) \" - :"));
  CHECK(fts_match_expression("a b c d", 2) == "\"a b\" OR \"a\" OR \"b\"");
}

TEST_CASE("user queries become tsquery texts whose terms split at \" | \"") {
  CHECK(tsquery_expression("auth") == "(auth)");
  CHECK(tsquery_expression("JWT refresh") == "(JWT <-> refresh) | (JWT) | (refresh)");
  CHECK(tsquery_expression("foo-bar hook*") == "(foo <-> bar) | (hook:*)");
  CHECK(tsquery_expression("a | b & !c") == "(a <-> b <-> c) | (a) | (b) | (c)");
  CHECK(!tsquery_expression("*** ( ) \" - : | &"));
}
