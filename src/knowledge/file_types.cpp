#include "mcpgate/knowledge/file_types.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace mcpgate::knowledge {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return text;
}

struct Extension {
  std::string_view suffix;
  DocumentKind kind;
  std::string_view language;
};

constexpr std::array extensions{
    Extension{".md", DocumentKind::markdown, "markdown"},
    Extension{".markdown", DocumentKind::markdown, "markdown"},
    Extension{".mdx", DocumentKind::markdown, "markdown"},
    Extension{".mdown", DocumentKind::markdown, "markdown"},
    Extension{".mkd", DocumentKind::markdown, "markdown"},
    // Converted by pdf_text.hpp to Markdown with a "## Page N" heading per page.
    Extension{".pdf", DocumentKind::markdown, "pdf"},
    Extension{".txt", DocumentKind::text, "text"},
    Extension{".text", DocumentKind::text, "text"},
    Extension{".rst", DocumentKind::text, "text"},
    Extension{".adoc", DocumentKind::text, "text"},
    Extension{".org", DocumentKind::text, "text"},
    Extension{".c", DocumentKind::source, "c"},
    Extension{".h", DocumentKind::source, "c"},
    Extension{".cc", DocumentKind::source, "cpp"},
    Extension{".cpp", DocumentKind::source, "cpp"},
    Extension{".cxx", DocumentKind::source, "cpp"},
    Extension{".hh", DocumentKind::source, "cpp"},
    Extension{".hpp", DocumentKind::source, "cpp"},
    Extension{".hxx", DocumentKind::source, "cpp"},
    Extension{".ipp", DocumentKind::source, "cpp"},
    Extension{".py", DocumentKind::source, "python"},
    Extension{".pyi", DocumentKind::source, "python"},
    Extension{".js", DocumentKind::source, "javascript"},
    Extension{".mjs", DocumentKind::source, "javascript"},
    Extension{".cjs", DocumentKind::source, "javascript"},
    Extension{".jsx", DocumentKind::source, "javascript"},
    Extension{".ts", DocumentKind::source, "typescript"},
    Extension{".tsx", DocumentKind::source, "typescript"},
    Extension{".go", DocumentKind::source, "go"},
    Extension{".rs", DocumentKind::source, "rust"},
    Extension{".java", DocumentKind::source, "java"},
    Extension{".kt", DocumentKind::source, "kotlin"},
    Extension{".kts", DocumentKind::source, "kotlin"},
    Extension{".scala", DocumentKind::source, "scala"},
    Extension{".swift", DocumentKind::source, "swift"},
    Extension{".cs", DocumentKind::source, "csharp"},
    Extension{".rb", DocumentKind::source, "ruby"},
    Extension{".php", DocumentKind::source, "php"},
    Extension{".lua", DocumentKind::source, "lua"},
    Extension{".pl", DocumentKind::source, "perl"},
    Extension{".sh", DocumentKind::source, "bash"},
    Extension{".bash", DocumentKind::source, "bash"},
    Extension{".zsh", DocumentKind::source, "bash"},
    Extension{".sql", DocumentKind::source, "sql"},
    Extension{".css", DocumentKind::source, "css"},
    Extension{".scss", DocumentKind::source, "scss"},
    Extension{".yaml", DocumentKind::source, "yaml"},
    Extension{".yml", DocumentKind::source, "yaml"},
    Extension{".toml", DocumentKind::source, "toml"},
    Extension{".cmake", DocumentKind::source, "cmake"},
    Extension{".proto", DocumentKind::source, "protobuf"},
};

}  // namespace

std::optional<FileType> classify_path(const std::filesystem::path& path) {
  const std::string name = lower(path.filename().string());
  if (name == "meson.build" || name == "cmakelists.txt")
    return FileType{DocumentKind::source, name == "meson.build" ? "meson" : "cmake"};
  if (name == "makefile" || name == "gnumakefile") return FileType{DocumentKind::source, "make"};
  if (name == "dockerfile") return FileType{DocumentKind::source, "dockerfile"};
  // Well-known files without an extension.
  if (name == "readme" || name == "license" || name == "copying" || name == "changelog" ||
      name == "authors" || name == "contributing" || name == "notice")
    return FileType{DocumentKind::text, "text"};

  const std::string extension = lower(path.extension().string());
  for (const Extension& e : extensions) {
    if (extension == e.suffix) return FileType{e.kind, std::string(e.language)};
  }
  return std::nullopt;
}

bool looks_binary(std::string_view content) {
  return content.substr(0, 8192).find('\0') != std::string_view::npos;
}

std::string sanitize_utf8(std::string_view in) {
  if (in.starts_with("\xEF\xBB\xBF")) in.remove_prefix(3);
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    std::size_t length = 0;
    unsigned min = 0;
    if (b < 0x80) length = 1;
    else if (b >= 0xC2 && b <= 0xDF) length = 2, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) length = 3, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) length = 4, min = 0x10000;
    bool valid = length > 0 && i + length <= in.size();
    unsigned code = length == 1 ? b : (b & (0x7F >> length));
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto c = static_cast<unsigned char>(in[i + k]);
      if ((c & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (c & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 either.
    if (valid && length > 1 && (code < min || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF))
      valid = false;
    if (valid) {
      out.append(in.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace mcpgate::knowledge
