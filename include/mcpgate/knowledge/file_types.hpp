// Which files the knowledge base indexes and how: by extension (or a few well-known names),
// plus a content check that keeps binary files out and makes stored text valid UTF-8 (the
// JSON answers built from it must never fail on a stray Latin-1 byte).
#pragma once

#include "mcpgate/knowledge/splitter.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::knowledge {

struct FileType {
  DocumentKind kind = DocumentKind::text;
  std::string language;  // source files: "cpp", "python", "go"…; "markdown" / "text" otherwise
};

// Markdown (.md .markdown .mdx …), PDF (.pdf: kind markdown, language "pdf", its text read by
// pdf_text.hpp), plain text (.txt .rst .adoc …, README/LICENSE/CHANGELOG
// without extension) or source (.c .cc .cpp .h .hpp .py .js .ts .go .rs .java .sh …); nullopt for
// anything else (images, archives, JSON data, lock files…).
[[nodiscard]] std::optional<FileType> classify_path(const std::filesystem::path& path);

// A NUL byte in the first 8 KiB: the file is binary whatever its extension says.
[[nodiscard]] bool looks_binary(std::string_view content);

// The text with every invalid UTF-8 sequence replaced by U+FFFD and a leading BOM removed.
[[nodiscard]] std::string sanitize_utf8(std::string_view content);

}  // namespace mcpgate::knowledge
