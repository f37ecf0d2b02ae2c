// Private helpers for the Archon tool sources: argument access, input-schema building in the
// shape FastMCP derives from Python signatures, and the two runners that turn every failure
// into the tool group's error payload (structured for most tools, flat for rag_*).
#pragma once

#include "mcpgate/tools/archon/api.hpp"
#include "mcpgate/tools/archon/archon_tools.hpp"
#include "mcpgate/tools/archon/errors.hpp"
#include "mcpgate/tools/tool.hpp"
#include "mcpgate/util/case_fold.hpp"

#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpgate::tools::archon::detail {

// ---------------------------------------------------------------------------------------------
// Arguments. The dispatcher has already checked them against the input schema; these accessors
// still refuse a wrong type (ArgumentError) rather than guess, for handlers called directly.

using archon::ArgumentError;

class Args {
 public:
  explicit Args(const json& arguments) : args_(arguments) {}

  // Absent or null -> nullopt (Python's `None`).
  [[nodiscard]] std::optional<std::string> str(std::string_view name) const;
  [[nodiscard]] std::string required_str(std::string_view name) const;
  [[nodiscard]] std::optional<long long> integer(std::string_view name) const;
  [[nodiscard]] long long integer_or(std::string_view name, long long fallback) const;
  [[nodiscard]] bool boolean_or(std::string_view name, bool fallback) const;
  // The value as given; null when absent.
  [[nodiscard]] json raw(std::string_view name) const;

 private:
  [[nodiscard]] const json* find(std::string_view name) const;
  const json& args_;
};

// Python's `if value:` for an optional string.
[[nodiscard]] inline bool given(const std::optional<std::string>& value) {
  return value && !value->empty();
}
// Python's `value or fallback` for an optional string.
[[nodiscard]] inline std::string or_default(const std::optional<std::string>& value,
                                            std::string_view fallback) {
  return given(value) ? *value : std::string(fallback);
}
// The optional string as JSON: null when absent.
[[nodiscard]] inline json or_null(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

// Python's dict.get(key, fallback): the value when the key is present (even null).
[[nodiscard]] json get_or(const json& object, std::string_view key, const json& fallback);

// ---------------------------------------------------------------------------------------------
// Input schemas, as pydantic writes them for FastMCP: every property has a title ("source_id"
// -> "Source Id"), `X | None = None` is anyOf [X, null] with default null, ints are "integer".

struct Param {
  std::string name;
  json schema;
  bool required = false;
};

[[nodiscard]] json object_schema(std::string_view tool_name, std::initializer_list<Param> params);

[[nodiscard]] Param required_string(std::string name, std::string description);
[[nodiscard]] Param string_with_default(std::string name, std::string fallback,
                                        std::string description);
[[nodiscard]] Param optional_string(std::string name, std::string description);
[[nodiscard]] Param integer_with_default(std::string name, long long fallback,
                                         std::string description);
[[nodiscard]] Param optional_integer(std::string name, std::string description);
[[nodiscard]] Param boolean_with_default(std::string name, bool fallback,
                                         std::string description);
// Any other `X | None = None`: anyOf [each of `types`, null], default null.
[[nodiscard]] Param optional_any_of(std::string name, std::initializer_list<json> types,
                                    std::string description);

// ---------------------------------------------------------------------------------------------
// Running a handler body.

// Thrown inside a body to end the tool with this payload (an error envelope).
struct Reply {
  json payload;
};

// Runs a body whose errors use the structured envelope: Reply -> its payload; TransportError ->
// from_transport(operation, transport_context); ArgumentError -> validation_error; any other
// exception -> unknown_error. Never throws.
[[nodiscard]] ToolResult run_structured(const ApiClient& api, const std::string& operation,
                                        const json& transport_context,
                                        const std::function<json()>& body);

// Runs a rag_* body: every failure becomes {"success": false, ...extra, "error": "<text>"}.
[[nodiscard]] ToolResult run_flat(const ApiClient& api, const json& extra,
                                  const std::function<json()>& body);

[[nodiscard]] json flat_error(const json& extra, const std::string& message);

// A 2xx answer's body as a JSON object; otherwise throws Reply with invalid_response
// ("Failed to <operation>: ...").
[[nodiscard]] const json& object_body(const backend::Response& response,
                                      std::string_view operation);
// Why a response carries no parsed JSON, for error messages: not JSON, or nested too deep.
[[nodiscard]] std::string body_not_json(const backend::Response& response);
// A 2xx answer's body as JSON of any type; otherwise throws Reply with invalid_response.
[[nodiscard]] const json& json_body(const backend::Response& response, std::string_view operation);
// json_body, moved out of the response: for answers that carry the backend's JSON whole
// (a project, document, task or version can be large; a copy of it was pure cost).
[[nodiscard]] json take_json_body(backend::Response& response, std::string_view operation);
// The same check for the rag_* tools, throwing a flat error with `extra`.
[[nodiscard]] const json& flat_object_body(const backend::Response& response, const json& extra);

// Builds a Tool with Archon's string output schema.
[[nodiscard]] Tool make_tool(std::string name, std::string title, std::string description,
                             json input_schema, bool read_only, ToolHandler handler);

// `tool`, which may take seconds, made task-optional (the tasks extension, MCP 2026-07-28): a
// client that takes tasks gets a task handle at once and polls, instead of holding its request
// open. The knowledge-base searches: Archon embeds the query with its model provider, then
// searches vectors (and may rerank), which takes seconds. The other tools are single-row reads
// and writes that answer in milliseconds, where a task would only add polling round trips.
Tool may_run_as_task(Tool tool);

// Group registration, called by register_archon_tools in Archon's order.
void register_rag_tools(ToolRegistry& registry, const std::shared_ptr<backend::Backend>& backend,
                        const ArchonToolOptions& options);
void register_project_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options);
void register_task_tools(ToolRegistry& registry, const std::shared_ptr<backend::Backend>& backend,
                         const ArchonToolOptions& options);
void register_document_tools(ToolRegistry& registry,
                             const std::shared_ptr<backend::Backend>& backend,
                             const ArchonToolOptions& options);
void register_version_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options);
void register_feature_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options);

}  // namespace mcpgate::tools::archon::detail
