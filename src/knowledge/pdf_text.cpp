#include "mcpgate/knowledge/pdf_text.hpp"

#include "mcpgate/knowledge/file_types.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>

#include <climits>
#include <memory>

namespace mcpgate::knowledge {

namespace {

std::string utf8_of(const poppler::ustring& text) {
  const poppler::byte_array bytes = text.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Page text with form feeds gone and lines that start with '#' escaped, so a PDF line cannot
// pose as a heading and cut a page in two.
std::string page_body(std::string text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true;
  for (char c : text) {
    if (c == '\f' || c == '\r') c = '\n';
    if (line_start && c == '#') out += '\\';
    out += c;
    line_start = c == '\n';
  }
  return out;
}

}  // namespace

bool looks_like_pdf(std::string_view bytes) { return bytes.starts_with("%PDF-"); }

PdfText pdf_to_markdown(std::string_view bytes, std::string_view fallback_title, int max_pages) {
  PdfText result;
  if (!looks_like_pdf(bytes)) {
    result.refused = "not a PDF";
    return result;
  }
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    result.refused = "PDF too large";
    return result;
  }
  // poppler reads the bytes in place: they outlive the document.
  const std::unique_ptr<poppler::document> document(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!document) {
    result.refused = "unreadable PDF";
    return result;
  }
  if (document->is_locked()) {
    result.refused = "encrypted PDF";
    return result;
  }
  const int pages = document->pages();
  if (pages > max_pages) {
    result.refused = "PDF of " + std::to_string(pages) + " pages (more than " + std::to_string(max_pages) + ")";
    return result;
  }
  result.title = sanitize_utf8(utf8_of(document->get_title()));
  if (result.title.find_first_not_of(" \t\r\n") == std::string::npos) result.title = fallback_title;
  std::string markdown;
  bool any_text = false;
  for (int i = 0; i < pages; ++i) {
    const std::unique_ptr<poppler::page> page(document->create_page(i));
    if (!page) continue;
    const std::string text = sanitize_utf8(utf8_of(page->text()));
    if (text.find_first_not_of(" \t\r\n\f") == std::string::npos) continue;
    any_text = true;
    markdown += "## Page " + std::to_string(i + 1) + "\n\n" + page_body(text) + "\n\n";
  }
  if (!any_text) {
    result.refused = "PDF without a text layer";
    return result;
  }
  result.markdown = std::move(markdown);
  return result;
}

}  // namespace mcpgate::knowledge
