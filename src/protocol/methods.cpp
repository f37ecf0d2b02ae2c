#include "mcpgate/protocol/methods.hpp"

#include "mcpgate/shared_context.hpp"
#include "method_handlers.hpp"

#include <array>

namespace mcpgate::protocol {

namespace {

bool has_completions(const SharedContext& context) { return context.catalog.has_completions(); }

// Resources and prompts are declared even when the catalog has none (their lists are then
// empty), as Archon's server did: older clients (MCP Inspector 0.15) call resources/list and
// prompts/list whatever the capabilities say and fail the connection on -32601.
constexpr std::array<Method, method_count> table{{
    {.name = initialize_method, .handler = handlers::initialize, .before_initialize = true},
    {.name = "ping", .handler = handlers::ping, .before_initialize = true},
    {.name = "tools/list", .handler = handlers::list_tools, .capability = "tools",
     .declares = R"({"listChanged":false})"},
    {.name = "tools/call", .handler = handlers::call_tool, .placement = Placement::tool_style,
     .capability = "tools"},
    {.name = "resources/list", .handler = handlers::list_resources, .capability = "resources",
     .declares = R"({"listChanged":false})"},
    {.name = "resources/templates/list", .handler = handlers::list_resource_templates,
     .capability = "resources"},
    {.name = "resources/read", .handler = handlers::read_resource,
     .placement = Placement::executor, .capability = "resources"},
    {.name = "resources/subscribe", .handler = handlers::subscribe, .capability = "resources",
     .declares = R"({"subscribe":true})"},
    {.name = "resources/unsubscribe", .handler = handlers::unsubscribe, .capability = "resources"},
    {.name = "prompts/list", .handler = handlers::list_prompts, .capability = "prompts",
     .declares = R"({"listChanged":false})"},
    {.name = "prompts/get", .handler = handlers::get_prompt, .placement = Placement::executor,
     .capability = "prompts"},
    {.name = "completion/complete", .handler = handlers::complete,
     .placement = Placement::executor, .capability = "completions", .offered = has_completions},
    {.name = "logging/setLevel", .handler = handlers::set_log_level, .capability = "logging"},
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

nlohmann::json server_capabilities(const SharedContext& context, std::string_view revision) {
  nlohmann::json capabilities = nlohmann::json::object();
  for (const auto& method : table) {
    if (method.capability.empty() || !method.exists_in(revision)) continue;
    if (method.offered != nullptr && !method.offered(context)) continue;
    auto& declared = capabilities[std::string(method.capability)];
    if (declared.is_null()) declared = nlohmann::json::object();
    declared.update(nlohmann::json::parse(method.declares));
  }
  return capabilities;
}

}  // namespace mcpgate::protocol
