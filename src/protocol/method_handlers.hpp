// The handlers of the method table (protocol/methods.hpp), one per MCP request method. Each
// returns the method's result or throws a jsonrpc::Error; none keeps state of its own.
#pragma once

#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/tools/tool.hpp"

#include <functional>
#include <optional>
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
// the tasks extension (task_calls.cpp)
nlohmann::json get_task(MethodCall& call);
nlohmann::json update_task(MethodCall& call);
nlohmann::json cancel_task(MethodCall& call);
// tools/call as a task (task_calls.cpp). Whether this call of `tool` runs as a task: on the
// modern era, when the tool supports tasks and the request declares the extension. Throws
// -32021 (data: the extension) when the tool needs a task and the request cannot have one.
bool runs_as_task(const MethodCall& call, const tools::Tool& tool);
// Start the call of tool `name` as a task, with the answers asked for before it
// (Tool::ask_before_task): the CreateTaskResult, or nullopt when no task can be had now (the
// store or its threads are full) and the tool may run in the request instead. A tool that needs
// a task then gets -32005.
std::optional<nlohmann::json> start_task(MethodCall& call, const tools::Tool& tool,
                                         nlohmann::json arguments, tools::InputAnswers answers);

// Shared by the handlers: a required string member of params (-32602 when it is not one), and
// one page of a listing after params' cursor ("o" + offset; anything else is -32602).
std::string required_string(const nlohmann::json& params, const char* key);
nlohmann::json page(const nlohmann::json& params, std::size_t total, std::size_t page_size,
                    const char* key, const std::function<nlohmann::json(std::size_t)>& item_at);

}  // namespace mcpgate::protocol::handlers
