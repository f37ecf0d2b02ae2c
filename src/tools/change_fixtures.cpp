#include "mcpgate/tools/change_fixtures.hpp"

#include <atomic>

namespace mcpgate::tools {

namespace {

constexpr const char* dynamic_tool = "test_dynamic_tool";
constexpr const char* dynamic_prompt = "test_dynamic_prompt";
constexpr const char* watched_uri = "test://watched-resource";

const json no_arguments = json{{"type", "object"}, {"additionalProperties", false}};

// A tool without arguments that only computes from memory.
Tool instant_tool(const char* name, const char* description, ToolHandler handler) {
  return Tool{.name = name,
              .title = "",
              .description = description,
              .input_schema = no_arguments,
              .output_schema = std::nullopt,
              .annotations = nullptr,
              .handler = std::move(handler),
              .style = CallStyle::instant};
}

Tool make_dynamic_tool() {
  return instant_tool(dynamic_tool, "Present between every other call of test_trigger_tool_change.",
                      [](const json&, ToolContext&) {
                        return ToolResult::text("This tool comes and goes.");
                      });
}

Prompt make_dynamic_prompt() {
  return Prompt{.name = dynamic_prompt,
                .title = "",
                .description = "Present between every other call of test_trigger_prompt_change.",
                .arguments = {},
                .get = [](const std::map<std::string, std::string>&) {
                  return json{{"messages",
                               json::array({{{"role", "user"},
                                             {"content",
                                              {{"type", "text"},
                                               {"text", "This prompt comes and goes."}}}}})}};
                }};
}

// Runs `edit` as a change of `kind`; the answer says what happened, or why nothing could.
ToolResult change_list(const std::weak_ptr<LiveLists>& weak, ListKind kind,
                       const std::function<std::string(Lists&)>& edit) {
  const auto live = weak.lock();
  if (!live) return ToolResult::error("the server is shutting down");
  std::string what;
  live->change(kind, [&](Lists& lists) { what = edit(lists); });
  return ToolResult::text(what);
}

}  // namespace

void register_change_fixtures(ToolRegistry& tools, Catalog& catalog,
                              const std::shared_ptr<LiveLists>& live) {
  live->allow_changes(ListKind::tools);
  live->allow_changes(ListKind::prompts);
  // Weak: the lists hold these tools, which must not keep the lists alive.
  const std::weak_ptr<LiveLists> weak = live;

  tools.add(instant_tool(
      "test_trigger_tool_change",
      "Adds test_dynamic_tool to the tool list, or removes it when it is there.",
      [weak](const json&, ToolContext&) {
        return change_list(weak, ListKind::tools, [](Lists& lists) -> std::string {
          if (lists.tools.remove(dynamic_tool)) return "Removed test_dynamic_tool";
          lists.tools.add(make_dynamic_tool());
          return "Added test_dynamic_tool";
        });
      }));
  tools.add(instant_tool(
      "test_trigger_prompt_change",
      "Adds test_dynamic_prompt to the prompt list, or removes it when it is there.",
      [weak](const json&, ToolContext&) {
        return change_list(weak, ListKind::prompts, [](Lists& lists) -> std::string {
          if (lists.catalog.remove_prompt(dynamic_prompt)) return "Removed test_dynamic_prompt";
          lists.catalog.add(make_dynamic_prompt());
          return "Added test_dynamic_prompt";
        });
      }));

  // The watched resource reads its content from a version the update tool moves on.
  auto version = std::make_shared<std::atomic<unsigned>>(0);
  catalog.replace(Resource{
      .uri = watched_uri,
      .name = "Watched resource",
      .description = "A resource clients may subscribe to; test_trigger_resource_update changes it.",
      .mime_type = "text/plain",
      .subscribable = true,
      .read = [version] {
        const unsigned now = version->load();
        std::string text = "Watched resource content";
        if (now > 0) text += " (update " + std::to_string(now) + ")";
        return json::array({{{"uri", watched_uri}, {"mimeType", "text/plain"}, {"text", text}}});
      }});
  tools.add(instant_tool(
      "test_trigger_resource_update",
      "Changes the content of test://watched-resource; its subscribers are told.",
      [weak, version](const json&, ToolContext&) {
        const auto lists = weak.lock();
        if (!lists) return ToolResult::error("the server is shutting down");
        const unsigned now = version->fetch_add(1) + 1;
        lists->resource_updated(watched_uri);
        return ToolResult::text("test://watched-resource is now at update " + std::to_string(now));
      }));
}

}  // namespace mcpgate::tools
