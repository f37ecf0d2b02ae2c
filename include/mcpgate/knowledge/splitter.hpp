// Turns one document's text into what the knowledge base stores: pages (the unit a user reads
// and the search aggregates to), chunks (the unit the full-text index ranks) and code examples.
// Pure functions, no I/O: the ingester reads the file and the store writes the result.
//
//   Markdown  pages split at ATX headings of level <= page_heading_level; a heading with no
//             text of its own is carried into the next page. Chunks never split a fenced code
//             block unless the block alone exceeds max_chunk_bytes. Every non-empty fenced block
//             becomes a code example (language from the fence's info string, summary from the
//             paragraph or heading before it).
//   text      pages of at most max_page_bytes, cut at paragraph boundaries.
//   source    one page holding the whole file, chunked at line boundaries, and the file itself
//             as code example(s) of at most max_code_example_bytes each (cut at lines), with the
//             file's leading comment as summary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::knowledge {

enum class DocumentKind { markdown, text, source };

struct SplitOptions {
  std::size_t max_chunk_bytes = 1600;          // hard cap on a chunk (bytes, cut at UTF-8 boundaries)
  std::size_t max_page_bytes = 16000;          // plain text pages
  std::size_t max_code_example_bytes = 12000;  // source files are cut into examples of this size
  std::size_t max_summary_chars = 240;
  int page_heading_level = 2;                  // Markdown: '#' and '##' start pages
};

struct Page {
  std::string section_title;  // the heading line as written ("## Install"), else the title given
  int section_order = 0;      // 0, 1, 2… within the document
  std::string content;        // the page's full text
  std::vector<std::string> chunks;
  std::size_t word_count = 0;
  std::size_t char_count = 0;  // Unicode code points
};

struct CodeExample {
  std::size_t page_index = 0;  // the page it came from
  std::string language;        // "" when the fence named none
  std::string summary;
  std::string code;
};

struct SplitDocument {
  std::vector<Page> pages;
  std::vector<CodeExample> code_examples;
};

// `title` names pages that have no heading of their own (text, source, a Markdown preamble):
// usually the file name. `language` is the source language ("cpp", "python"…) for kind source.
[[nodiscard]] SplitDocument split_document(DocumentKind kind, std::string_view text,
                                           std::string_view title, std::string_view language,
                                           const SplitOptions& options = {});

[[nodiscard]] SplitDocument split_markdown(std::string_view text, std::string_view title,
                                           const SplitOptions& options = {});
[[nodiscard]] SplitDocument split_plain_text(std::string_view text, std::string_view title,
                                             const SplitOptions& options = {});
[[nodiscard]] SplitDocument split_source(std::string_view text, std::string_view title,
                                         std::string_view language,
                                         const SplitOptions& options = {});

// Chunks of Markdown or plain text: paragraphs (and whole fenced blocks) packed greedily up to
// max_bytes; a paragraph or block longer than that is cut at lines, a line longer than that at
// a space or, failing one, at a UTF-8 boundary. Chunks keep their first line's indentation, lose
// surrounding blank lines and trailing whitespace, and are never blank.
[[nodiscard]] std::vector<std::string> chunk_text(std::string_view text, std::size_t max_bytes);
// Chunks of source code: whole lines packed up to max_bytes (long lines cut as above).
[[nodiscard]] std::vector<std::string> chunk_lines(std::string_view text, std::size_t max_bytes);

// Whitespace-separated words.
[[nodiscard]] std::size_t count_words(std::string_view text);
// Unicode code points of UTF-8 text (bytes that start a sequence).
[[nodiscard]] std::size_t count_chars(std::string_view text);

// "Install the CLI!" -> "install-the-cli" (GitHub-style heading anchors).
[[nodiscard]] std::string heading_anchor(std::string_view section_title);

}  // namespace mcpgate::knowledge
