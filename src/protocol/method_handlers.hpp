// The handlers of the method table (protocol/methods.hpp), one per MCP request method. Each
// returns the method's result or throws a jsonrpc::Error; none keeps state of its own.
#pragma once

#include "mcpgate/protocol/methods.hpp"

#include <functional>
#include <string>

namespace mcpgate::protocol::handlers {

// lifecycle (method_handlers.cpp)
nlohmann::json initialize(MethodCall& call);
nlohmann::json ping(MethodCall& call);
nlohmann::json discover(MethodCall& call);  // server/discover (modern era)
nlohmann::json set_log_level(MethodCall& call);
nlohmann::json listen(MethodCall& call);  // subscriptions/listen outside a stream: refused
// tools (tool_calls.cpp)
nlohmann::json list_tools(MethodCall& call);
nlohmann::json call_tool(MethodCall& call);
// resources, prompts, completion (method_handlers.cpp)
nlohmann::json list_resources(MethodCall& call);
nlohmann::json list_resource_templates(MethodCall& call);
nlohmann::json read_resource(MethodCall& call);
nlohmann::json subscribe(MethodCall& call);
nlohmann::json unsubscribe(MethodCall& call);
nlohmann::json list_prompts(MethodCall& call);
nlohmann::json get_prompt(MethodCall& call);
nlohmann::json complete(MethodCall& call);

// Shared by the handlers: a required string member of params (-32602 when it is not one), and
// one page of a listing after params' cursor ("o" + offset; anything else is -32602).
std::string required_string(const nlohmann::json& params, const char* key);
nlohmann::json page(const nlohmann::json& params, std::size_t total, std::size_t page_size,
                    const char* key, const std::function<nlohmann::json(std::size_t)>& item_at);

}  // namespace mcpgate::protocol::handlers
