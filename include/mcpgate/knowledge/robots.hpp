// robots.txt (RFC 9309) for the crawler's own user agent: the group naming "mcpgate" if there is
// one, else the "*" group; the longest matching Allow/Disallow rule wins, Allow on a tie; '*' in a
// rule matches any run of characters and a trailing '$' anchors it at the end. Crawl-delay, which
// RFC 9309 leaves out but many sites set, is read as a floor under the crawl's own delay.
// Sitemap lines are collected whatever group they are in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::knowledge {

class RobotsRules {
 public:
  RobotsRules() = default;  // allows everything (no robots.txt, or a 404)
  // `agent` is the product token matched case-insensitively against User-agent lines.
  static RobotsRules parse(std::string_view text, std::string_view agent);
  // A robots.txt that could not be fetched for a server error: everything disallowed (RFC 9309
  // 2.3.1.4: "unreachable" means complete disallow).
  static RobotsRules disallow_all();

  // `path_and_query` as it appears in the URL ("/docs/a.html?x=1").
  [[nodiscard]] bool allowed(std::string_view path_and_query) const;
  [[nodiscard]] std::optional<double> crawl_delay_seconds() const { return crawl_delay_; }
  [[nodiscard]] const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  struct Rule {
    bool allow = false;
    std::string pattern;
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
  std::vector<std::string> sitemaps_;
};

}  // namespace mcpgate::knowledge
