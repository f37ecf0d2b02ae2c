// Resources, resource templates, prompts and argument completion a server offers.
// Filled at start-up; changed at run time only as a copy inside tools::LiveLists.
#pragma once

#include "mcpgate/tools/tool.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::tools {

using json = nlohmann::json;

struct Resource {
  std::string uri;
  std::string name;
  std::string description;
  std::string mime_type;
  bool subscribable = false;
  // Returns the `contents` array of resources/read.
  std::function<json()> read;
};

struct ResourceTemplate {
  std::string uri_template;  // RFC 6570 level 1: "{var}" placeholders
  std::string name;
  std::string description;
  std::string mime_type;
  // Called with the variables extracted from a matching URI; returns `contents`.
  std::function<json(const std::string& uri, const std::map<std::string, std::string>& vars)> read;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  // Returns the prompts/get result ({description?, messages}).
  std::function<json(const std::map<std::string, std::string>& arguments)> get;
  // Instead of `get`, for a prompt that needs input from the client to fill itself in: it asks
  // through the context (ToolContext::ask; on the modern era prompts/get then answers
  // "input_required" and is run again with the answers).
  std::function<json(const std::map<std::string, std::string>& arguments, ToolContext& context)>
      get_with_input = nullptr;
};

// completion/complete: given `ref` and `argument` ({name, value}), return candidate values.
using Completer = std::function<std::vector<std::string>(const json& ref, const json& argument)>;

class Catalog {
 public:
  void add(Resource resource);
  void add(ResourceTemplate resource_template);
  void add(Prompt prompt);
  // Remove the prompt `name`; false when there is none. The others keep their order.
  bool remove_prompt(std::string_view name);
  // Replace the resource with the same URI (its content changed); false when there is none.
  bool replace(Resource resource);
  void set_completer(Completer completer) { completer_ = std::move(completer); }

  [[nodiscard]] bool has_resources() const { return !resources_.empty() || !templates_.empty(); }
  [[nodiscard]] bool has_prompts() const { return !prompts_.empty(); }
  [[nodiscard]] bool has_completions() const { return static_cast<bool>(completer_); }

  [[nodiscard]] json resource_listing(std::size_t index) const;
  [[nodiscard]] json template_listing(std::size_t index) const;
  [[nodiscard]] json prompt_listing(std::size_t index) const;
  [[nodiscard]] std::size_t resource_count() const { return resources_.size(); }
  [[nodiscard]] std::size_t template_count() const { return templates_.size(); }
  [[nodiscard]] std::size_t prompt_count() const { return prompts_.size(); }

  // nullopt when no resource or template matches the URI.
  [[nodiscard]] std::optional<json> read(const std::string& uri) const;
  [[nodiscard]] bool is_known_resource(const std::string& uri) const;
  [[nodiscard]] const Prompt* find_prompt(std::string_view name) const;
  [[nodiscard]] const Completer& completer() const { return completer_; }

  // Match a URI against a level-1 template; returns the variables on success.
  [[nodiscard]] static std::optional<std::map<std::string, std::string>> match_template(
      std::string_view uri_template, std::string_view uri);

 private:
  std::vector<Resource> resources_;
  std::vector<ResourceTemplate> templates_;
  std::vector<Prompt> prompts_;
  Completer completer_;
};

}  // namespace mcpgate::tools
