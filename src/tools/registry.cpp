#include "mcpgate/tools/registry.hpp"

#include <stdexcept>

namespace mcpgate::tools {

bool ToolRegistry::is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void ToolRegistry::add(Tool tool) {
  if (!is_valid_name(tool.name))
    throw std::invalid_argument("tool name '" + tool.name + "' must be 1-128 characters of [A-Za-z0-9_.-]");
  if (find(tool.name)) throw std::invalid_argument("tool '" + tool.name + "' is registered twice");
  if (!tool.handler) throw std::invalid_argument("tool '" + tool.name + "' has no handler");
  if (tool.description.empty())
    throw std::invalid_argument("tool '" + tool.name + "' needs a description");
  if (!tool.input_schema.is_object() || tool.input_schema.value("type", "") != "object")
    throw std::invalid_argument("tool '" + tool.name + "': input schema must have type \"object\"");
  if (tool.output_schema &&
      (!tool.output_schema->is_object() || tool.output_schema->value("type", "") != "object"))
    throw std::invalid_argument("tool '" + tool.name + "': output schema must have type \"object\"");

  Entry entry;
  entry.validator = std::make_shared<const SchemaValidator>(tool.input_schema);
  entry.listing = json{{"name", tool.name},
                       {"description", tool.description},
                       {"inputSchema", tool.input_schema}};
  if (!tool.title.empty()) entry.listing["title"] = tool.title;
  if (tool.output_schema) entry.listing["outputSchema"] = *tool.output_schema;
  if (!tool.annotations.is_null()) entry.listing["annotations"] = tool.annotations;
  entry.tool = std::move(tool);
  entries_.push_back(std::move(entry));
}

bool ToolRegistry::remove(std::string_view name) {
  const auto before = entries_.size();
  std::erase_if(entries_, [&](const Entry& entry) { return entry.tool.name == name; });
  return entries_.size() != before;
}

const ToolRegistry::Entry* ToolRegistry::find(std::string_view name) const {
  for (const auto& entry : entries_)
    if (entry.tool.name == name) return &entry;
  return nullptr;
}

}  // namespace mcpgate::tools
