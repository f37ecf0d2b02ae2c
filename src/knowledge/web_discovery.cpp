#include "mcpgate/knowledge/web_discovery.hpp"

#include <string>

namespace mcpgate::knowledge {

namespace {

std::string decode_xml_entities(std::string_view text) {
  static constexpr std::pair<std::string_view, char> entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& entity : entities) {
        if (text.substr(i).starts_with(entity.first)) {
          out += entity.second;
          i += entity.first.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace

std::vector<WebUrl> markdown_links(std::string_view text, const WebUrl& base) {
  std::vector<WebUrl> links;
  for (std::size_t at = text.find("]("); at != std::string_view::npos; at = text.find("](", at + 2)) {
    const std::size_t start = at + 2;
    const std::size_t end = text.find_first_of(") \n", start);
    if (end == std::string_view::npos || text[end] != ')') continue;
    if (auto url = resolve_url(base, text.substr(start, end - start))) links.push_back(std::move(*url));
    if (links.size() >= max_listed_links) return links;
  }
  for (std::size_t at = text.find("<http"); at != std::string_view::npos; at = text.find("<http", at + 1)) {
    const std::size_t end = text.find_first_of("> \n", at + 1);
    if (end == std::string_view::npos || text[end] != '>') continue;
    if (auto url = parse_url(text.substr(at + 1, end - at - 1))) links.push_back(std::move(*url));
    if (links.size() >= max_listed_links) return links;
  }
  return links;
}

Sitemap parse_sitemap(std::string_view xml, const WebUrl& base) {
  Sitemap sitemap;
  sitemap.is_index = xml.find("<sitemapindex") != std::string_view::npos;
  for (std::size_t at = xml.find("<loc>"); at != std::string_view::npos; at = xml.find("<loc>", at + 5)) {
    const std::size_t end = xml.find("</loc>", at + 5);
    if (end == std::string_view::npos) break;
    std::string value = decode_xml_entities(xml.substr(at + 5, end - at - 5));
    if (value.starts_with("<![CDATA[") && value.ends_with("]]>")) value = value.substr(9, value.size() - 12);
    if (auto url = resolve_url(base, value)) sitemap.locations.push_back(std::move(*url));
    if (sitemap.locations.size() >= max_listed_links) break;
  }
  return sitemap;
}

}  // namespace mcpgate::knowledge
