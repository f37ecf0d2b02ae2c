#include "mcpgate/knowledge/robots.hpp"

#include "mcpgate/knowledge/web_url.hpp"

#include <charconv>

namespace mcpgate::knowledge {

namespace {

std::string_view trim_robots(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A rule matches a prefix of the path; '$' at its end anchors it.
bool rule_matches(std::string_view pattern, std::string_view path) {
  if (pattern.ends_with("$")) {
    pattern.remove_suffix(1);
    return glob_match(pattern, path);
  }
  return glob_match(std::string(pattern) + "*", path);
}

}  // namespace

RobotsRules RobotsRules::disallow_all() {
  RobotsRules rules;
  rules.rules_.push_back(Rule{false, "/"});
  return rules;
}

RobotsRules RobotsRules::parse(std::string_view text, std::string_view agent) {
  // Groups: consecutive User-agent lines, then their rules. Collect the rules of the groups
  // naming `agent` and of the groups naming '*'; the first are used if any exist.
  RobotsRules mine, star, out;
  bool group_is_mine = false, group_is_star = false, in_agents = false;
  bool any_mine = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find('#'));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = trim_robots(line.substr(0, colon));
    const std::string_view value = trim_robots(line.substr(colon + 1));
    if (iequals(key, "user-agent")) {
      if (!in_agents) group_is_mine = group_is_star = false;
      in_agents = true;
      // A product token: "mcpgate/0.1" names mcpgate too.
      const std::string_view token = value.substr(0, value.find('/'));
      if (iequals(token, agent)) group_is_mine = any_mine = true;
      if (value == "*") group_is_star = true;
      continue;
    }
    in_agents = false;
    if (iequals(key, "sitemap")) {
      out.sitemaps_.emplace_back(value);
      continue;
    }
    RobotsRules* target = group_is_mine ? &mine : group_is_star ? &star : nullptr;
    if (target == nullptr) continue;
    if (iequals(key, "allow") || iequals(key, "disallow")) {
      if (value.empty()) continue;  // "Disallow:" with nothing allows everything
      target->rules_.push_back(Rule{iequals(key, "allow"), std::string(value)});
    } else if (iequals(key, "crawl-delay")) {
      double seconds = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (error == std::errc{} && seconds >= 0) target->crawl_delay_ = seconds;
    }
  }
  const RobotsRules& chosen = any_mine ? mine : star;
  out.rules_ = chosen.rules_;
  out.crawl_delay_ = chosen.crawl_delay_;
  return out;
}

bool RobotsRules::allowed(std::string_view path_and_query) const {
  if (path_and_query == "/robots.txt") return true;
  const Rule* best = nullptr;
  for (const Rule& rule : rules_) {
    if (!rule_matches(rule.pattern, path_and_query)) continue;
    if (best == nullptr || rule.pattern.size() > best->pattern.size() ||
        (rule.pattern.size() == best->pattern.size() && rule.allow))
      best = &rule;
  }
  return best == nullptr || best->allow;
}

}  // namespace mcpgate::knowledge
