#include "mcpgate/knowledge/html_text.hpp"

#include "mcpgate/knowledge/file_types.hpp"

#include <gumbo.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <span>

namespace mcpgate::knowledge {

namespace {

std::string lower_text(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool html_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view strip(std::string_view text) {
  while (!text.empty() && html_is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && html_is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Runs of whitespace as one space (HTML's rendering of text outside <pre>).
std::string collapse_spaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (html_is_space(c)) {
      space = true;
    } else {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
  }
  if (space) out += ' ';
  return out;
}

const char* attribute(const GumboNode* node, const char* name) {
  if (node->type != GUMBO_NODE_ELEMENT) return nullptr;
  const GumboAttribute* a = gumbo_get_attribute(&node->v.element.attributes, name);
  return a != nullptr ? a->value : nullptr;
}

GumboTag tag_of(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT ? node->v.element.tag : GUMBO_TAG_UNKNOWN;
}

std::span<GumboNode* const> children_of(const GumboNode* node) {
  const GumboVector* v = node->type == GUMBO_NODE_ELEMENT    ? &node->v.element.children
                         : node->type == GUMBO_NODE_TEMPLATE ? &node->v.element.children
                         : node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                                              : nullptr;
  if (v == nullptr || v->length == 0) return {};
  return {reinterpret_cast<GumboNode* const*>(v->data), v->length};
}

bool dropped(const GumboNode* node) {
  switch (tag_of(node)) {
    case GUMBO_TAG_NAV: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG: case GUMBO_TAG_FORM: case GUMBO_TAG_BUTTON: case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_HEAD: case GUMBO_TAG_SELECT: case GUMBO_TAG_OBJECT: case GUMBO_TAG_CANVAS:
      return true;
    default: break;
  }
  if (node->type == GUMBO_NODE_TEMPLATE) return true;
  const char* role = attribute(node, "role");
  return attribute(node, "hidden") != nullptr || (role != nullptr && lower_text(role) == "navigation");
}

// All text under a node, as written (for <pre>).
void raw_text(const GumboNode* node, std::string& out, int depth = 0) {
  if (depth > 512) return;
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE || node->type == GUMBO_NODE_CDATA) {
    out += node->v.text.text;
    return;
  }
  if (tag_of(node) == GUMBO_TAG_BR) out += '\n';
  for (const GumboNode* child : children_of(node)) raw_text(child, out, depth + 1);
}

std::string code_language(const GumboNode* node) {
  for (const char* prefix : {"language-", "lang-", "highlight-source-"}) {
    const char* cls = attribute(node, "class");
    if (cls == nullptr) continue;
    std::string_view classes = cls;
    std::size_t at = 0;
    while (at < classes.size()) {
      const std::size_t end = std::min(classes.find(' ', at), classes.size());
      const std::string_view name = classes.substr(at, end - at);
      if (name.starts_with(prefix) && name.size() > std::string_view(prefix).size())
        return lower_text(name.substr(std::string_view(prefix).size()));
      at = end + 1;
    }
  }
  return {};
}

class MarkdownWriter {
 public:
  explicit MarkdownWriter(const WebUrl& base) : base_(base) {}

  std::string render_block(const GumboNode* node, int depth) {
    std::string saved = std::move(out_);
    out_.clear();
    for (const GumboNode* child : children_of(node)) walk(child, depth + 1);
    std::string text = std::move(out_);
    out_ = std::move(saved);
    return text;
  }

  void walk(const GumboNode* node, int depth) {
    if (depth > 512) return;  // deeper is not documentation
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA) {
      inline_text(collapse_spaces(node->v.text.text));
      return;
    }
    if (node->type == GUMBO_NODE_WHITESPACE) {
      inline_text(" ");
      return;
    }
    if (node->type != GUMBO_NODE_ELEMENT || dropped(node)) return;
    const GumboTag tag = tag_of(node);
    switch (tag) {
      case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
      case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: {
        const int level = 1 + static_cast<int>(tag - GUMBO_TAG_H1);
        const std::string text = one_line(render_block(node, depth));
        if (text.empty()) return;
        block_break();
        out_ += std::string(static_cast<std::size_t>(level), '#') + " " + text;
        block_break();
        return;
      }
      case GUMBO_TAG_PRE: return pre(node);
      case GUMBO_TAG_CODE: {
        std::string code;
        raw_text(node, code);
        code = collapse_spaces(code);
        if (!strip(code).empty()) inline_text("`" + std::string(strip(code)) + "`");
        return;
      }
      case GUMBO_TAG_BR: out_ += "\n"; return;
      case GUMBO_TAG_HR: block_break(); return;
      case GUMBO_TAG_A: return anchor(node, depth);
      case GUMBO_TAG_UL: case GUMBO_TAG_OL: return list(node, depth, tag == GUMBO_TAG_OL);
      case GUMBO_TAG_TABLE: return table(node, depth);
      case GUMBO_TAG_BLOCKQUOTE: {
        const std::string inner(strip(render_block(node, depth)));
        block_break();
        std::size_t at = 0;
        while (at <= inner.size()) {
          const std::size_t end = std::min(inner.find('\n', at), inner.size());
          out_ += "> " + inner.substr(at, end - at) + "\n";
          at = end + 1;
        }
        block_break();
        return;
      }
      case GUMBO_TAG_IMG: {
        const char* alt = attribute(node, "alt");
        if (alt != nullptr && !strip(alt).empty()) inline_text(collapse_spaces(alt));
        return;
      }
      default: break;
    }
    const bool block = is_block(tag);
    if (block) block_break();
    for (const GumboNode* child : children_of(node)) walk(child, depth + 1);
    if (block) block_break();
  }

  std::string finish() {
    // Blank lines: at most one in a row; trailing spaces gone.
    std::string out;
    int newlines = 0;
    for (char c : out_) {
      if (c == '\n') {
        while (!out.empty() && out.back() == ' ') out.pop_back();
        if (++newlines <= 2 && !out.empty()) out += '\n';
      } else {
        newlines = 0;
        out += c;
      }
    }
    return std::string(strip(out)) + "\n";
  }

 private:
  static bool is_block(GumboTag tag) {
    switch (tag) {
      case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
      case GUMBO_TAG_MAIN: case GUMBO_TAG_BODY: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
      case GUMBO_TAG_DD: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_DETAILS:
      case GUMBO_TAG_SUMMARY: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_LI:
        return true;
      default: return false;
    }
  }

  static std::string one_line(const std::string& text) {
    std::string line = collapse_spaces(text);
    return std::string(strip(line));
  }

  // Text within a line: no space at a line's start (HTML's whitespace is not indentation).
  void inline_text(std::string_view text) {
    if (out_.empty() || out_.back() == '\n' || out_.back() == ' ')
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    out_ += text;
  }

  void block_break() {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    if (out_.empty() || out_.ends_with("\n\n")) return;
    out_ += out_.back() == '\n' ? "\n" : "\n\n";
  }

  void pre(const GumboNode* node) {
    std::string language = code_language(node);
    for (const GumboNode* child : children_of(node))
      if (language.empty() && tag_of(child) == GUMBO_TAG_CODE) language = code_language(child);
    std::string code;
    raw_text(node, code);
    while (!code.empty() && (code.back() == '\n' || code.back() == ' ' || code.back() == '\r')) code.pop_back();
    while (!code.empty() && code.front() == '\n') code.erase(0, 1);
    if (code.empty()) return;
    std::string fence = "```";
    while (code.find(fence) != std::string::npos) fence += '`';  // a fence the code cannot close
    block_break();
    out_ += fence + language + "\n" + code + "\n" + fence;
    block_break();
  }

  void anchor(const GumboNode* node, int depth) {
    const std::string text = one_line(render_block(node, depth));
    const char* href = attribute(node, "href");
    const auto target = href != nullptr ? resolve_url(base_, href) : std::nullopt;
    if (text.empty()) return;
    if (!target) {
      inline_text(text);
      return;
    }
    inline_text("[" + text + "](" + target->text() + ")");
  }

  void list(const GumboNode* node, int depth, bool ordered) {
    block_break();
    int number = 0;
    for (const GumboNode* item : children_of(node)) {
      if (tag_of(item) != GUMBO_TAG_LI) continue;
      const std::string inner(strip(render_block(item, depth + 1)));
      if (inner.empty()) continue;
      const std::string marker = ordered ? std::to_string(++number) + ". " : "- ";
      out_ += marker;
      // Continuation lines (a nested list, a second paragraph) indented under the marker.
      // Blank lines inside an item dropped: the list stays one block.
      for (std::size_t at = 0; at < inner.size();) {
        const std::size_t end = std::min(inner.find('\n', at), inner.size());
        const std::string line = inner.substr(at, end - at);
        if (!line.empty()) out_ += (at > 0 ? "  " : "") + line + "\n";
        at = end + 1;
      }
    }
    block_break();
  }

  void collect_rows(const GumboNode* node, std::vector<const GumboNode*>& rows, int depth) {
    if (depth > 8) return;
    for (const GumboNode* child : children_of(node)) {
      const GumboTag t = tag_of(child);
      if (t == GUMBO_TAG_TR) rows.push_back(child);
      else if (t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TBODY || t == GUMBO_TAG_TFOOT) collect_rows(child, rows, depth + 1);
    }
  }

  void table(const GumboNode* node, int depth) {
    std::vector<const GumboNode*> rows;
    collect_rows(node, rows, 0);
    block_break();
    bool first = true;
    for (const GumboNode* row : rows) {
      std::string line = "|";
      std::size_t cells = 0;
      for (const GumboNode* cell : children_of(row)) {
        if (tag_of(cell) != GUMBO_TAG_TD && tag_of(cell) != GUMBO_TAG_TH) continue;
        std::string text = one_line(render_block(cell, depth + 2));
        std::string escaped;
        for (char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
        line += " " + escaped + " |";
        ++cells;
      }
      if (cells == 0) continue;
      out_ += line + "\n";
      if (first) {
        out_ += "|";
        for (std::size_t i = 0; i < cells; ++i) out_ += " --- |";
        out_ += "\n";
        first = false;
      }
    }
    block_break();
  }

  const WebUrl& base_;
  std::string out_;
};

const GumboNode* find_first(const GumboNode* node, GumboTag tag, int depth = 0) {
  if (depth > 512) return nullptr;
  if (tag_of(node) == tag) return node;
  for (const GumboNode* child : children_of(node))
    if (const GumboNode* found = find_first(child, tag, depth + 1)) return found;
  return nullptr;
}

void collect_links(const GumboNode* node, const WebUrl& base, std::vector<WebUrl>& links, int depth = 0) {
  if (depth > 512 || links.size() >= max_links_per_page) return;
  if (tag_of(node) == GUMBO_TAG_A || tag_of(node) == GUMBO_TAG_AREA) {
    const char* rel = attribute(node, "rel");
    if (const char* href = attribute(node, "href");
        href != nullptr && !(rel != nullptr && lower_text(rel).find("nofollow") != std::string::npos)) {
      if (auto url = resolve_url(base, href)) links.push_back(std::move(*url));
    }
  }
  for (const GumboNode* child : children_of(node)) collect_links(child, base, links, depth + 1);
}

struct RoughShape {
  std::size_t depth = 0;  // nesting as the tags say, counting only elements whose end tag is
                          // required: ignores <p>, <li>, <td>… left open (they close themselves)
  std::size_t elements = 0;  // start tags
};

RoughShape rough_shape(std::string_view html) {
  std::size_t depth = 0, deepest = 0, elements = 0;
  for (std::size_t at = html.find('<'); at != std::string_view::npos; at = html.find('<', at + 1)) {
    const bool closing = at + 1 < html.size() && html[at + 1] == '/';
    const std::size_t name_at = at + (closing ? 2 : 1);
    std::size_t end = name_at;
    while (end < html.size() && std::isalnum(static_cast<unsigned char>(html[end]))) ++end;
    if (end == name_at) continue;
    if (!closing) ++elements;
    const std::string name = lower_text(html.substr(name_at, end - name_at));
    static constexpr std::string_view counted[] = {"div", "span", "section", "article", "main", "ul",
                                                   "ol", "table", "a", "b", "i", "em", "strong",
                                                   "blockquote", "font", "nav", "aside"};
    if (std::find(std::begin(counted), std::end(counted), name) == std::end(counted)) continue;
    if (closing) {
      if (depth > 0) --depth;
    } else {
      deepest = std::max(deepest, ++depth);
    }
  }
  return {deepest, elements};
}

}  // namespace

HtmlPage html_to_markdown(std::string_view utf8_html, const WebUrl& base) {
  HtmlPage page;
  const RoughShape shape = rough_shape(utf8_html);
  page.too_deep = shape.depth > max_html_depth;
  page.too_many_elements = shape.elements > max_html_elements;
  if (page.too_deep || page.too_many_elements) return page;
  const std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&kGumboDefaultOptions, utf8_html.data(), utf8_html.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  const GumboNode* root = output->root;

  WebUrl link_base = base;
  if (const GumboNode* base_tag = find_first(root, GUMBO_TAG_BASE))
    if (const char* href = attribute(base_tag, "href"))
      if (auto resolved = resolve_url(base, href)) link_base = *resolved;

  if (const GumboNode* title = find_first(root, GUMBO_TAG_TITLE)) {
    std::string text;
    raw_text(title, text);
    page.title = std::string(strip(collapse_spaces(text)));
  }
  const GumboNode* content = find_first(root, GUMBO_TAG_MAIN);
  if (content == nullptr) content = find_first(root, GUMBO_TAG_ARTICLE);
  if (content == nullptr) content = find_first(root, GUMBO_TAG_BODY);
  if (content == nullptr) content = root;
  MarkdownWriter writer(link_base);
  writer.walk(content, 0);
  page.markdown = writer.finish();
  if (page.title.empty()) {
    if (const GumboNode* h1 = find_first(root, GUMBO_TAG_H1)) {
      std::string text;
      raw_text(h1, text);
      page.title = std::string(strip(collapse_spaces(text)));
    }
  }
  collect_links(root, link_base, page.links);
  return page;
}

std::string declared_charset(std::string_view content_type, std::string_view body, bool html) {
  auto charset_in = [](std::string_view text) -> std::string {
    const std::string lower = lower_text(text);
    const std::size_t at = lower.find("charset=");
    if (at == std::string::npos) return {};
    std::size_t start = at + 8;
    while (start < lower.size() && (lower[start] == '"' || lower[start] == '\'' || lower[start] == ' ')) ++start;
    std::size_t end = start;
    while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) ||
                                  lower[end] == '-' || lower[end] == '_' || lower[end] == ':' || lower[end] == '.'))
      ++end;
    return lower.substr(start, end - start);
  };
  if (std::string from_header = charset_in(content_type); !from_header.empty()) return from_header;
  if (!html) return {};
  // <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x"> both
  // carry "charset=" inside a <meta> tag.
  const std::string head = lower_text(body.substr(0, 1024));
  for (std::size_t at = head.find("<meta"); at != std::string::npos; at = head.find("<meta", at + 5)) {
    const std::size_t end = std::min(head.find('>', at), head.size());
    if (std::string found = charset_in(std::string_view(head).substr(at, end - at)); !found.empty())
      return found;
  }
  return {};
}

DecodedText decode_to_utf8(std::string_view bytes, const std::string& charset) {
  if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii" ||
      charset == "ascii")
    return {sanitize_utf8(bytes), {}};
  UErrorCode status = U_ZERO_ERROR;
  UConverter* raw = ucnv_open(charset.c_str(), &status);
  if (U_FAILURE(status) || raw == nullptr) return {std::nullopt, "unsupported charset " + charset};
  const std::unique_ptr<UConverter, void (*)(UConverter*)> from(raw, ucnv_close);
  // At most 4 UTF-8 bytes per input byte, plus room for a trailing substitution.
  std::string out(bytes.size() * 4 + 16, '\0');
  status = U_ZERO_ERROR;
  const int32_t n = ucnv_convert("UTF-8", charset.c_str(), out.data(), static_cast<int32_t>(out.size()),
                                 bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  if (U_FAILURE(status)) return {std::nullopt, "cannot convert from charset " + charset};
  out.resize(static_cast<std::size_t>(n));
  return {sanitize_utf8(out), {}};
}

}  // namespace mcpgate::knowledge
