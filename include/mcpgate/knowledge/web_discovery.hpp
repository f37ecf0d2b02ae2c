// Where a documentation site lists its pages, besides its links: llms.txt / llms-full.txt
// (https://llmstxt.org: Markdown whose links are the pages worth reading) and sitemaps
// (sitemaps.org: <urlset> of <loc>s, or a <sitemapindex> of further sitemaps). Pure functions.
#pragma once

#include "mcpgate/knowledge/web_url.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace mcpgate::knowledge {

// URLs read from one llms.txt, Markdown page or sitemap (a sitemap holds at most 50,000 by
// sitemaps.org's rule; a crawl admits at most --max-pages anyway).
inline constexpr std::size_t max_listed_links = 50000;

// The http(s) targets of the Markdown links ("[text](url)") and autolinks ("<url>") in `text`,
// resolved against `base`, in order.
[[nodiscard]] std::vector<WebUrl> markdown_links(std::string_view text, const WebUrl& base);

struct Sitemap {
  bool is_index = false;     // <sitemapindex>: `locations` are sitemaps
  std::vector<WebUrl> locations;
};
// The <loc> values of a sitemap (XML entities &amp; &lt; &gt; &quot; &apos; decoded).
[[nodiscard]] Sitemap parse_sitemap(std::string_view xml, const WebUrl& base);

}  // namespace mcpgate::knowledge
