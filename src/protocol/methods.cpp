#include "mcpgate/protocol/methods.hpp"

#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "method_handlers.hpp"

#include <array>
#include <vector>

namespace mcpgate::protocol {

namespace {

bool has_completions(const SharedContext& context) {
  return context.lists->current()->catalog.has_completions();
}

// Resources and prompts are declared even when the catalog has none (their lists are then
// empty), as Archon's server did: older clients (MCP Inspector 0.15) call resources/list and
// prompts/list whatever the capabilities say and fail the connection on -32601.
// The methods the modern era (2026-07-28) removed end at 2025-11-25: initialize and ping, the
// session's log level (a request names its own now) and resource subscriptions (now
// subscriptions/listen).
constexpr std::string_view last_session_revision = "2025-11-25";

constexpr std::array<Method, method_count> table{{
    {.name = initialize_method, .handler = handlers::initialize,
     .until = last_session_revision, .before_initialize = true},
    {.name = "ping", .handler = handlers::ping, .until = last_session_revision,
     .before_initialize = true},
    {.name = "server/discover", .handler = handlers::discover, .since = modern_version,
     .caching = Caching::listing},
    {.name = "tools/list", .handler = handlers::list_tools, .capability = "tools",
     .caching = Caching::listing},
    {.name = "tools/call", .handler = handlers::call_tool, .placement = Placement::tool_style,
     .capability = "tools", .input_rounds = true},
    {.name = "resources/list", .handler = handlers::list_resources, .capability = "resources",
     .caching = Caching::listing},
    {.name = "resources/templates/list", .handler = handlers::list_resource_templates,
     .capability = "resources", .caching = Caching::listing},
    {.name = "resources/read", .handler = handlers::read_resource,
     .placement = Placement::executor, .capability = "resources", .caching = Caching::content,
     .input_rounds = true},
    {.name = "resources/subscribe", .handler = handlers::subscribe,
     .until = last_session_revision, .capability = "resources",
     .declares = R"({"subscribe":true})"},
    {.name = "resources/unsubscribe", .handler = handlers::unsubscribe,
     .until = last_session_revision, .capability = "resources"},
    {.name = "prompts/list", .handler = handlers::list_prompts, .capability = "prompts",
     .caching = Caching::listing},
    {.name = "prompts/get", .handler = handlers::get_prompt, .placement = Placement::executor,
     .capability = "prompts", .input_rounds = true},
    {.name = "completion/complete", .handler = handlers::complete,
     .placement = Placement::executor, .capability = "completions", .offered = has_completions},
    // Replaces resources/subscribe and the GET stream: resource updates as well as list changes.
    {.name = "subscriptions/listen", .handler = handlers::listen, .since = modern_version,
     .placement = Placement::stream, .capability = "resources",
     .declares = R"({"subscribe":true})"},
    {.name = "logging/setLevel", .handler = handlers::set_log_level,
     .until = last_session_revision, .capability = "logging"},
    // The tasks extension (SEP-2663). No tasks/list: a task is seen only by who holds its id.
    // tasks/result is gone too: tasks/get inlines the result.
    {.name = "tasks/get", .handler = handlers::get_task, .since = modern_version,
     .extension = tasks_extension},
    {.name = "tasks/update", .handler = handlers::update_task, .since = modern_version,
     .extension = tasks_extension},
    {.name = "tasks/cancel", .handler = handlers::cancel_task, .since = modern_version,
     .extension = tasks_extension},
}};

}  // namespace

std::span<const Method> methods() { return table; }

const Method* find_method(std::string_view name, std::string_view revision,
                          const SharedContext& context) {
  for (const auto& method : table) {
    if (method.name != name) continue;
    if (!revision.empty() && !method.exists_in(revision)) return nullptr;
    if (method.offered != nullptr && !method.offered(context)) return nullptr;
    return &method;
  }
  return nullptr;
}

namespace {

// What each method of the table declares under its capability, parsed once: every initialize
// answers with it, and parsing it anew cost a tenth of an initialize.
const std::vector<nlohmann::json>& declarations() {
  static const std::vector<nlohmann::json> parsed = [] {
    std::vector<nlohmann::json> out;
    out.reserve(table.size());
    for (const auto& method : table)
      out.push_back(method.capability.empty() ? nlohmann::json()
                                              : nlohmann::json::parse(method.declares));
    return out;
  }();
  return parsed;
}

}  // namespace

nlohmann::json server_capabilities(const SharedContext& context, std::string_view revision) {
  nlohmann::json capabilities = nlohmann::json::object();
  const auto& declared_by = declarations();
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& method = table[i];
    if (method.capability.empty() || !method.exists_in(revision)) continue;
    if (method.offered != nullptr && !method.offered(context)) continue;
    auto& declared = capabilities[std::string(method.capability)];
    if (declared.is_null()) declared = nlohmann::json::object();
    declared.update(declared_by[i]);
  }
  // listChanged: true only for the lists that can change while the server runs (and then they
  // are announced: to sessions on their stream, to listen streams that ask). Archon's never do.
  const auto& lists = *context.lists;
  for (auto [name, kind] : {std::pair{"tools", tools::ListKind::tools},
                            std::pair{"prompts", tools::ListKind::prompts},
                            std::pair{"resources", tools::ListKind::resources}})
    if (capabilities.contains(name)) capabilities[name]["listChanged"] = lists.may_change(kind);
  // The modern era has no logging/setLevel, yet a request's _meta may still ask for logs.
  if (is_modern(revision)) capabilities["logging"] = nlohmann::json::object();
  for (const auto& method : table) {
    if (method.extension.empty() || !method.exists_in(revision)) continue;
    capabilities["extensions"][std::string(method.extension)] = nlohmann::json::object();
  }
  return capabilities;
}

}  // namespace mcpgate::protocol
