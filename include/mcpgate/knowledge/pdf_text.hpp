// A PDF's text through poppler-cpp, as Markdown the splitter cuts into one knowledge page per
// PDF page: "## Page N" before each page's text (page URLs get "#page-n"); pages without text
// are left out. The title is the Info dictionary's Title, else `fallback_title`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::knowledge {

struct PdfText {
  std::optional<std::string> markdown;
  std::string title;
  std::string refused;  // why there is no text: not a PDF, encrypted, no text layer
};

// At most max_pages pages are read (a PDF of 100,000 pages is refused rather than read).
[[nodiscard]] PdfText pdf_to_markdown(std::string_view bytes, std::string_view fallback_title,
                                      int max_pages = 5000);

// "%PDF-" at the start.
[[nodiscard]] bool looks_like_pdf(std::string_view bytes);

}  // namespace mcpgate::knowledge
