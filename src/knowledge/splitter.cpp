#include "mcpgate/knowledge/splitter.hpp"

#include <algorithm>
#include <optional>

namespace mcpgate::knowledge {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), is_space);
}

// Lines without their terminators ("\n" or "\r\n"); a final newline does not add an empty line.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t begin,
                       std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) out += '\n';
    out.append(lines[i]);
  }
  return out;
}

// Drops leading blank lines and trailing whitespace, keeping the first line's indentation.
std::string trim_block(std::string_view text) {
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos || !is_blank(text.substr(start, nl - start))) break;
    start = nl + 1;
  }
  std::size_t end = text.size();
  while (end > start && is_space(text[end - 1])) --end;
  if (is_blank(text.substr(start, end - start))) return {};
  return std::string(text.substr(start, end - start));
}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;
}

// The largest cut <= limit that does not split a UTF-8 sequence (at least one code point).
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
  if (limit >= text.size()) return text.size();
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  if (cut == 0) {  // a single code point longer than the limit: take it whole
    cut = 1;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  }
  return cut;
}

// Collapsed, then cut at a word boundary to at most max_chars code points with an ellipsis.
std::string summarize(std::string_view text, std::size_t max_chars) {
  std::string flat = collapse_whitespace(text);
  if (count_chars(flat) <= max_chars) return flat;
  std::size_t bytes = 0, chars = 0;
  while (bytes < flat.size() && chars + 1 < max_chars) {
    ++bytes;
    while (bytes < flat.size() && (static_cast<unsigned char>(flat[bytes]) & 0xC0) == 0x80) ++bytes;
    ++chars;
  }
  std::size_t cut = flat.rfind(' ', bytes);
  if (cut == std::string::npos || cut < bytes / 2) cut = bytes;
  flat.resize(cut);
  while (!flat.empty() && (is_space(flat.back()) || flat.back() == ',' || flat.back() == ';'))
    flat.pop_back();
  return flat + "\u2026";
}

// Cuts one over-long line into pieces of at most max_bytes, preferring a space past the middle.
void cut_long_line(std::string_view line, std::size_t max_bytes, std::vector<std::string>& out) {
  while (line.size() > max_bytes) {
    std::size_t cut = utf8_cut(line, max_bytes);
    const std::size_t space = line.rfind(' ', cut > 0 ? cut - 1 : 0);
    if (space != std::string_view::npos && space >= max_bytes / 2) cut = space + 1;
    std::string piece = trim_block(line.substr(0, cut));
    if (!piece.empty()) out.push_back(std::move(piece));
    line.remove_prefix(cut);
  }
  std::string rest = trim_block(line);
  if (!rest.empty()) out.push_back(std::move(rest));
}

// Greedy packing of lines into pieces of at most max_bytes, joined by '\n'.
std::vector<std::string> pack_lines(const std::vector<std::string_view>& lines,
                                    std::size_t max_bytes) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    std::string piece = trim_block(current);
    if (!piece.empty()) out.push_back(std::move(piece));
    current.clear();
  };
  for (std::string_view line : lines) {
    if (line.size() > max_bytes) {
      flush();
      cut_long_line(line, max_bytes, out);
      continue;
    }
    const std::size_t needed = current.empty() ? line.size() : current.size() + 1 + line.size();
    if (needed > max_bytes) flush();
    if (!current.empty()) current += '\n';
    current.append(line);
  }
  flush();
  return out;
}

// A Markdown code fence opening or closing line: up to three spaces, then ``` or ~~~ (3+).
struct Fence {
  char marker = '`';
  std::size_t length = 0;
  std::string info;  // the info string after an opening fence
};

std::optional<Fence> parse_fence(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return std::nullopt;
  const char marker = line[i];
  std::size_t run = 0;
  while (i + run < line.size() && line[i + run] == marker) ++run;
  if (run < 3) return std::nullopt;
  std::string_view info = line.substr(i + run);
  if (marker == '`' && info.find('`') != std::string_view::npos) return std::nullopt;
  Fence fence{marker, run, collapse_whitespace(info)};
  return fence;
}

bool closes(const Fence& open, std::string_view line) {
  const auto fence = parse_fence(line);
  return fence && fence->marker == open.marker && fence->length >= open.length &&
         fence->info.empty();
}

// ATX heading level (1-6), or 0 when the line is not a heading.
int heading_level(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  std::size_t hashes = 0;
  while (i + hashes < line.size() && line[i + hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return 0;
  const std::size_t after = i + hashes;
  if (after < line.size() && line[after] != ' ' && line[after] != '\t') return 0;
  return static_cast<int>(hashes);
}

// "## Install it ##" -> "Install it"
std::string heading_text(std::string_view line) {
  std::string_view rest = line;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '#')) rest.remove_prefix(1);
  while (!rest.empty() && (is_space(rest.back()) || rest.back() == '#')) rest.remove_suffix(1);
  return collapse_whitespace(rest);
}

std::string fence_language(const std::string& info) {
  std::string lang = info.substr(0, info.find(' '));
  if (!lang.empty() && lang.front() == '{') lang.erase(0, 1);  // ```{python} style
  while (!lang.empty() && (lang.back() == '}' || lang.back() == ',')) lang.pop_back();
  std::transform(lang.begin(), lang.end(), lang.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return lang;
}

// YAML front matter ("---" … "---" or "...") at the very start: the number of lines it spans.
std::size_t front_matter_lines(const std::vector<std::string_view>& lines) {
  if (lines.empty() || lines[0] != "---") return 0;
  for (std::size_t i = 1; i < lines.size() && i < 200; ++i) {
    if (lines[i] == "---" || lines[i] == "...") return i + 1;
  }
  return 0;
}

Page make_page(std::string title, std::string content, const SplitOptions& options) {
  Page page;
  page.section_title = std::move(title);
  page.content = std::move(content);
  page.chunks = chunk_text(page.content, options.max_chunk_bytes);
  page.word_count = count_words(page.content);
  page.char_count = count_chars(page.content);
  return page;
}

// The comment a source file starts with (after a shebang), without its comment markers.
std::string leading_comment(const std::vector<std::string_view>& lines) {
  std::string text;
  std::size_t i = 0;
  while (i < lines.size() && (is_blank(lines[i]) || lines[i].starts_with("#!"))) ++i;
  bool in_block = false;
  std::string_view block_end;
  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (!in_block) {
      if (line.starts_with("/*")) {
        in_block = true;
        block_end = "*/";
        line.remove_prefix(2);
      } else if (line.starts_with("\"\"\"") || line.starts_with("'''")) {
        in_block = true;
        block_end = line.substr(0, 3);
        line.remove_prefix(3);
      } else if (line.starts_with("//") || line.starts_with("--")) {
        line.remove_prefix(2);
      } else if (line.starts_with("#") || line.starts_with(";")) {
        line.remove_prefix(1);
      } else {
        break;
      }
    }
    if (in_block) {
      if (const auto end = line.find(block_end); end != std::string_view::npos) {
        line = line.substr(0, end);
        in_block = false;
      }
    }
    while (!line.empty() && (line.front() == '*' || line.front() == '/' || line.front() == '!'))
      line.remove_prefix(1);
    text += ' ';
    text.append(line);
    if (!in_block && i + 1 < lines.size() && is_blank(lines[i + 1])) break;
  }
  return collapse_whitespace(text);
}

}  // namespace

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

std::size_t count_chars(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::vector<std::string> chunk_text(std::string_view text, std::size_t max_bytes) {
  max_bytes = std::max<std::size_t>(max_bytes, 16);
  const auto lines = split_lines(text);

  // Blocks: paragraphs (runs of non-blank lines) and whole fenced code blocks.
  std::vector<std::pair<std::size_t, std::size_t>> blocks;  // [begin, end) line ranges
  std::size_t i = 0;
  while (i < lines.size()) {
    if (is_blank(lines[i])) {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    if (const auto fence = parse_fence(lines[i])) {
      ++i;
      while (i < lines.size() && !closes(*fence, lines[i])) ++i;
      if (i < lines.size()) ++i;  // the closing fence
    } else {
      while (i < lines.size() && !is_blank(lines[i]) && !parse_fence(lines[i])) ++i;
    }
    blocks.emplace_back(begin, i);
  }

  std::vector<std::string> chunks;
  std::string current;
  auto flush = [&] {
    std::string chunk = trim_block(current);
    if (!chunk.empty()) chunks.push_back(std::move(chunk));
    current.clear();
  };
  for (const auto& [begin, end] : blocks) {
    std::string block = join_lines(lines, begin, end);
    if (block.size() > max_bytes) {
      flush();
      const std::vector<std::string_view> block_lines(lines.begin() + static_cast<long>(begin),
                                                      lines.begin() + static_cast<long>(end));
      for (auto& piece : pack_lines(block_lines, max_bytes)) chunks.push_back(std::move(piece));
      continue;
    }
    if (!current.empty() && current.size() + 2 + block.size() > max_bytes) flush();
    if (!current.empty()) current += "\n\n";
    current += block;
  }
  flush();
  return chunks;
}

std::vector<std::string> chunk_lines(std::string_view text, std::size_t max_bytes) {
  return pack_lines(split_lines(text), std::max<std::size_t>(max_bytes, 16));
}

SplitDocument split_markdown(std::string_view text, std::string_view title,
                             const SplitOptions& options) {
  const auto lines = split_lines(text);

  struct Section {
    std::string title;
    std::size_t begin = 0, end = 0;  // line range, heading included
    bool has_body = false;
  };
  std::vector<Section> sections;
  std::vector<std::pair<std::size_t, CodeExample>> examples;  // (section index, example)

  std::size_t i = front_matter_lines(lines);
  sections.push_back(Section{std::string(title), i, i, false});
  std::string paragraph, last_paragraph;
  auto end_paragraph = [&] {
    if (!paragraph.empty()) last_paragraph = std::move(paragraph);
    paragraph.clear();
  };

  while (i < lines.size()) {
    const std::string_view line = lines[i];
    if (const auto fence = parse_fence(line)) {
      const std::string summary = paragraph.empty() ? last_paragraph : paragraph;
      end_paragraph();
      const std::size_t code_begin = ++i;
      while (i < lines.size() && !closes(*fence, lines[i])) ++i;
      std::string code = join_lines(lines, code_begin, i);
      if (i < lines.size()) ++i;
      sections.back().has_body = true;
      if (!is_blank(code)) {
        examples.emplace_back(sections.size() - 1,
                              CodeExample{0, fence_language(fence->info),
                                          summarize(summary, options.max_summary_chars),
                                          std::move(code)});
      }
      sections.back().end = i;
      continue;
    }
    const int level = heading_level(line);
    if (level > 0) {
      end_paragraph();
      last_paragraph = heading_text(line);
      if (level <= options.page_heading_level) {
        sections.push_back(Section{collapse_whitespace(line), i, i + 1, false});
        ++i;
        continue;
      }
    } else if (is_blank(line)) {
      end_paragraph();
    } else {
      if (!paragraph.empty()) paragraph += ' ';
      paragraph.append(line);
    }
    if (!is_blank(line)) sections.back().has_body = true;
    sections.back().end = ++i;
  }

  // Pages: a heading without text of its own is carried into the next page; a carried heading
  // at the very end joins the last page.
  SplitDocument doc;
  std::vector<std::size_t> page_of_section(sections.size(), 0);
  std::string carried_title, carried_text;
  for (std::size_t s = 0; s < sections.size(); ++s) {
    const Section& section = sections[s];
    std::string content = trim_block(join_lines(lines, section.begin, section.end));
    if (content.empty()) continue;  // a blank preamble
    if (!section.has_body) {
      if (carried_text.empty()) carried_title = section.title;
      carried_text += (carried_text.empty() ? "" : "\n\n") + content;
      continue;
    }
    std::string page_title = section.title;
    if (!carried_text.empty()) {
      content = carried_text + "\n\n" + content;
      page_title = carried_title;
      carried_text.clear();
    }
    page_of_section[s] = doc.pages.size();
    doc.pages.push_back(make_page(std::move(page_title), std::move(content), options));
  }
  if (!carried_text.empty()) {
    if (doc.pages.empty()) {
      doc.pages.push_back(make_page(carried_title, carried_text, options));
    } else {
      Page& last = doc.pages.back();
      last = make_page(std::move(last.section_title), last.content + "\n\n" + carried_text, options);
    }
  }
  for (std::size_t p = 0; p < doc.pages.size(); ++p) doc.pages[p].section_order = static_cast<int>(p);

  for (auto& [section, example] : examples) {
    example.page_index = page_of_section[section];
    if (example.summary.empty()) example.summary = sections[section].title;
    doc.code_examples.push_back(std::move(example));
  }
  return doc;
}

SplitDocument split_plain_text(std::string_view text, std::string_view title,
                               const SplitOptions& options) {
  SplitDocument doc;
  auto parts = chunk_text(text, options.max_page_bytes);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::string page_title(title);
    if (parts.size() > 1)
      page_title += " (part " + std::to_string(p + 1) + " of " + std::to_string(parts.size()) + ")";
    doc.pages.push_back(make_page(std::move(page_title), std::move(parts[p]), options));
    doc.pages.back().section_order = static_cast<int>(p);
  }
  return doc;
}

SplitDocument split_source(std::string_view text, std::string_view title,
                           std::string_view language, const SplitOptions& options) {
  SplitDocument doc;
  std::string content = trim_block(text);
  if (content.empty()) return doc;

  Page page;
  page.section_title = std::string(title);
  page.chunks = chunk_lines(content, options.max_chunk_bytes);
  page.word_count = count_words(content);
  page.char_count = count_chars(content);

  const auto lines = split_lines(content);
  std::string comment = summarize(leading_comment(lines), options.max_summary_chars);
  std::string summary = comment.empty()
                            ? std::string(title) + (language.empty() ? "" : " (" + std::string(language) + ")")
                            : comment;
  auto parts = pack_lines(lines, options.max_code_example_bytes);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::string part_summary = summary;
    if (parts.size() > 1)
      part_summary = "Part " + std::to_string(p + 1) + " of " + std::to_string(parts.size()) +
                     " of " + std::string(title) + ": " + summary;
    doc.code_examples.push_back(
        CodeExample{0, std::string(language), std::move(part_summary), std::move(parts[p])});
  }
  page.content = std::move(content);
  doc.pages.push_back(std::move(page));
  return doc;
}

SplitDocument split_document(DocumentKind kind, std::string_view text, std::string_view title,
                             std::string_view language, const SplitOptions& options) {
  switch (kind) {
    case DocumentKind::markdown: return split_markdown(text, title, options);
    case DocumentKind::text: return split_plain_text(text, title, options);
    case DocumentKind::source: return split_source(text, title, language, options);
  }
  return {};
}

std::string heading_anchor(std::string_view section_title) {
  std::string_view title = section_title;
  while (!title.empty() && (title.front() == '#' || title.front() == ' ')) title.remove_prefix(1);
  std::string anchor;
  for (char c : title) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 'A' && b <= 'Z') anchor += static_cast<char>(b - 'A' + 'a');
    else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || c == '-' || c == '_' || b >= 0x80)
      anchor += c;
    else if (c == ' ') anchor += '-';
  }
  return anchor;
}

}  // namespace mcpgate::knowledge
