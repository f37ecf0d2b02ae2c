// A web page's HTML as the Markdown-like text the splitter reads, through gumbo (an HTML5
// parser: the same tree a browser builds, whatever the markup's errors).
//
//   h1-h6            "#" x level + text (so pages split at headings exactly as local Markdown)
//   p, div…          paragraphs;  br -> a line break
//   ul / ol / li     "- item" / "1. item", nested lists indented two spaces a level
//   table            "| a | b |" rows, the first followed by "| --- | --- |"
//   a                "[text](absolute URL)" (links kept for the reader and the search)
//   pre (+ code)     a fenced block, language from class "language-x" / "lang-x" /
//                    "highlight-source-x" on the pre or its code: a code example
//   code (inline)    `text`;  blockquote -> "> " lines
//   dropped          nav, header, footer, aside, script, style, noscript, template, svg, form,
//                    button, iframe, and anything with role="navigation" or hidden
// The text comes from <main> when the page has one, else its first <article>, else <body>;
// links (for the crawl) come from the whole document, since navigation is where a site lists
// its pages. The title is <title>, else the first h1.
//
// Character sets: gumbo reads UTF-8 only. decode_to_utf8 converts a page in any charset ICU
// knows (from the Content-Type header, else a <meta> in the first 1024 bytes, else UTF-8) and
// refuses, with a reason, one it does not.
#pragma once

#include "mcpgate/knowledge/web_url.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::knowledge {

struct HtmlPage {
  std::string title;
  std::string markdown;
  std::vector<WebUrl> links;  // http(s) links of the whole document, resolved, in order
  bool too_deep = false;      // refused: nesting beyond max_html_depth (markdown and links empty)
  bool too_many_elements = false;  // refused: more than max_html_elements tags
};

// Elements nested deeper than this are refused before parsing: gumbo frees its tree
// recursively, so a page of a million unclosed <div>s would exhaust the stack.
inline constexpr std::size_t max_html_depth = 10000;
// Start tags a page may have, counted before parsing: gumbo's tree (with the text nodes
// between tags) cost the whole crawler 162 MB peak RSS for one page of 240,000 "<b>x</b> " and
// 550 MB for 900,000 (8 MB of HTML, under the size cap), and each of --per-host workers may hold
// one. 100,000 elements is ~65 MB a worker; a documentation page has a few thousand.
inline constexpr std::size_t max_html_elements = 100000;

// Links kept per page, the first ones in document order: a page of a million links (a generated
// index, a hostile page) would otherwise hold hundreds of MB of URLs until its level is crawled,
// and no documentation page needs more to reach its neighbours.
inline constexpr std::size_t max_links_per_page = 5000;

// `base` is the page's URL (a <base href> in the page overrides it for links).
[[nodiscard]] HtmlPage html_to_markdown(std::string_view utf8_html, const WebUrl& base);

// The charset a response declares: the Content-Type header's charset parameter, else a <meta
// charset> or <meta http-equiv="Content-Type"> in the first 1024 bytes of an HTML body; lower
// case, "" when none.
[[nodiscard]] std::string declared_charset(std::string_view content_type, std::string_view body,
                                           bool html);

struct DecodedText {
  std::optional<std::string> text;  // UTF-8
  std::string refused;              // why not, when text is nullopt
};
// `charset` "" or utf-8/us-ascii: checked as UTF-8 (invalid bytes replaced); anything else is
// converted with ICU, or refused ("unsupported charset x-foo").
[[nodiscard]] DecodedText decode_to_utf8(std::string_view bytes, const std::string& charset);

}  // namespace mcpgate::knowledge
