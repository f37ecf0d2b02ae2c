// The tools a server offers, in registration order, with their argument validators compiled once.
#pragma once

#include "mcpgate/tools/schema_validator.hpp"
#include "mcpgate/tools/tool.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace mcpgate::tools {

class ToolRegistry {
 public:
  struct Entry {
    Tool tool;
    std::shared_ptr<const SchemaValidator> validator;
    json listing;  // the tools/list entry, built once
  };

  // Throws std::invalid_argument for a bad or duplicate name, a missing handler or description,
  // or a schema that is not an object schema.
  void add(Tool tool);
  // Remove the tool `name`; false when there is none. The others keep their order.
  bool remove(std::string_view name);

  [[nodiscard]] const Entry* find(std::string_view name) const;
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  [[nodiscard]] static bool is_valid_name(std::string_view name);

 private:
  std::vector<Entry> entries_;
};

}  // namespace mcpgate::tools
