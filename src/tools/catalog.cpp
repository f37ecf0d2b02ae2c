#include "mcpgate/tools/catalog.hpp"

#include <algorithm>

namespace mcpgate::tools {

void Catalog::add(Resource resource) { resources_.push_back(std::move(resource)); }
void Catalog::add(ResourceTemplate resource_template) {
  templates_.push_back(std::move(resource_template));
}
void Catalog::add(Prompt prompt) { prompts_.push_back(std::move(prompt)); }

bool Catalog::remove_prompt(std::string_view name) {
  const auto before = prompts_.size();
  std::erase_if(prompts_, [&](const Prompt& prompt) { return prompt.name == name; });
  return prompts_.size() != before;
}

bool Catalog::replace(Resource resource) {
  for (auto& r : resources_)
    if (r.uri == resource.uri) {
      r = std::move(resource);
      return true;
    }
  return false;
}

json Catalog::resource_listing(std::size_t index) const {
  const auto& r = resources_.at(index);
  json out{{"uri", r.uri}, {"name", r.name}};
  if (!r.description.empty()) out["description"] = r.description;
  if (!r.mime_type.empty()) out["mimeType"] = r.mime_type;
  return out;
}

json Catalog::template_listing(std::size_t index) const {
  const auto& t = templates_.at(index);
  json out{{"uriTemplate", t.uri_template}, {"name", t.name}};
  if (!t.description.empty()) out["description"] = t.description;
  if (!t.mime_type.empty()) out["mimeType"] = t.mime_type;
  return out;
}

json Catalog::prompt_listing(std::size_t index) const {
  const auto& p = prompts_.at(index);
  json out{{"name", p.name}, {"description", p.description}};
  if (!p.title.empty()) out["title"] = p.title;
  if (!p.arguments.empty()) {
    json args = json::array();
    for (const auto& a : p.arguments) {
      json arg{{"name", a.name}, {"required", a.required}};
      if (!a.description.empty()) arg["description"] = a.description;
      args.push_back(std::move(arg));
    }
    out["arguments"] = std::move(args);
  }
  return out;
}

namespace {

// Backtracking match: a variable takes one or more characters other than '/', the longest
// choice that lets the rest of the template match (so "{name}.log" matches "app.2024.log").
bool match_from(std::string_view tpl, std::string_view uri,
                std::map<std::string, std::string>& vars) {
  while (!tpl.empty() && tpl.front() != '{') {
    if (uri.empty() || uri.front() != tpl.front()) return false;
    tpl.remove_prefix(1);
    uri.remove_prefix(1);
  }
  if (tpl.empty()) return uri.empty();
  const auto close = tpl.find('}');
  if (close == std::string_view::npos) return false;
  const std::string name(tpl.substr(1, close - 1));
  const std::string_view rest = tpl.substr(close + 1);
  const std::size_t limit = std::min(uri.find('/'), uri.size());
  for (std::size_t take = limit; take >= 1; --take) {
    if (match_from(rest, uri.substr(take), vars)) {
      vars[name] = std::string(uri.substr(0, take));
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::map<std::string, std::string>> Catalog::match_template(
    std::string_view uri_template, std::string_view uri) {
  constexpr std::size_t max_uri = 4096;  // bounds the backtracking
  if (uri.size() > max_uri) return std::nullopt;
  std::map<std::string, std::string> vars;
  if (!match_from(uri_template, uri, vars)) return std::nullopt;
  return vars;
}

std::optional<json> Catalog::read(const std::string& uri) const {
  for (const auto& r : resources_)
    if (r.uri == uri) return r.read();
  for (const auto& t : templates_)
    if (auto vars = match_template(t.uri_template, uri)) return t.read(uri, *vars);
  return std::nullopt;
}

bool Catalog::is_known_resource(const std::string& uri) const {
  for (const auto& r : resources_)
    if (r.uri == uri) return true;
  for (const auto& t : templates_)
    if (match_template(t.uri_template, uri)) return true;
  return false;
}

const Prompt* Catalog::find_prompt(std::string_view name) const {
  for (const auto& p : prompts_)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace mcpgate::tools
