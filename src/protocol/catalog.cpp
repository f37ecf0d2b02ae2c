#include "mcpgate/protocol/catalog.hpp"

namespace mcpgate::protocol {

void Catalog::add(Resource resource) { resources_.push_back(std::move(resource)); }
void Catalog::add(ResourceTemplate resource_template) {
  templates_.push_back(std::move(resource_template));
}
void Catalog::add(Prompt prompt) { prompts_.push_back(std::move(prompt)); }

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

std::optional<std::map<std::string, std::string>> Catalog::match_template(
    std::string_view uri_template, std::string_view uri) {
  std::map<std::string, std::string> vars;
  std::size_t t = 0, u = 0;
  while (t < uri_template.size()) {
    if (uri_template[t] == '{') {
      const auto close = uri_template.find('}', t);
      if (close == std::string_view::npos) return std::nullopt;
      const std::string name(uri_template.substr(t + 1, close - t - 1));
      t = close + 1;
      // The variable runs to the next literal character of the template (or the end).
      const char stop = t < uri_template.size() ? uri_template[t] : '\0';
      std::size_t end = u;
      while (end < uri.size() && uri[end] != stop && uri[end] != '/') ++end;
      if (end == u) return std::nullopt;
      vars[name] = std::string(uri.substr(u, end - u));
      u = end;
    } else {
      if (u >= uri.size() || uri[u] != uri_template[t]) return std::nullopt;
      ++t;
      ++u;
    }
  }
  if (u != uri.size()) return std::nullopt;
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

}  // namespace mcpgate::protocol
