// What the core routes share: reading projects and tasks into Archon's JSON shapes, and
// checking request bodies and query parameters (failures throw RouteError with the contract's
// status and a message that says what to fix).
#pragma once

#include "mcpgate/store/database.hpp"
#include "router.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::backend::embedded {

// ---- errors ---------------------------------------------------------------------------------
// 422 {"detail":{"error": message}}: the tools show the message ("Failed to X: message").
[[noreturn]] void invalid(std::string message);

// ---- request checks -------------------------------------------------------------------------
// The body as an object; null (no body) is an empty object; anything else is 422.
[[nodiscard]] const json& body_object(const RouteRequest& request);
// A string field: nullopt when absent or null; 422 when present with another type.
[[nodiscard]] std::optional<std::string> string_field(const json& body, const char* key);
// A required, non-blank string field.
[[nodiscard]] std::string required_text(const json& body, const char* key);
// An integer field: nullopt when absent or null; 422 otherwise unless integral.
[[nodiscard]] std::optional<std::int64_t> integer_field(const json& body, const char* key);
// A field that must be a JSON array (or absent/null).
[[nodiscard]] std::optional<json> array_field(const json& body, const char* key);
// Query parameters: integers within [min, max], booleans (true/false/1/0/yes/no).
[[nodiscard]] std::int64_t query_integer(const RouteRequest& request, std::string_view name,
                                         std::int64_t fallback, std::int64_t min, std::int64_t max);
[[nodiscard]] bool query_bool(const RouteRequest& request, std::string_view name, bool fallback);

// Task status and priority vocabularies.
void check_status(const std::string& status);
void check_priority(const std::string& priority);

// ---- rows -----------------------------------------------------------------------------------
// JSON text from the store; a damaged value reads as null rather than failing the request.
[[nodiscard]] json parse_stored(const std::string& text);
[[nodiscard]] std::string to_stored(const json& value);

// The project's full dict (id, title, description, github_repo, docs, features, data, prd,
// technical_sources, business_sources, pinned, created_at, updated_at), or nullopt.
[[nodiscard]] std::optional<json> load_project(store::Connection& c, const std::string& id);
[[nodiscard]] bool project_exists(store::Connection& c, const std::string& id);
// 404 {"detail":{"error":"Project <id> not found"}} (projects and features routes).
[[noreturn]] void project_not_found(const std::string& id);

// The task's dict, or nullopt. With exclude_large_fields, sources and code_examples are
// replaced by stats {sources_count, code_examples_count} (as Archon's list endpoints do).
[[nodiscard]] std::optional<json> load_task(store::Connection& c, const std::string& id);
// The columns task_json reads, in order, for SELECTs over tasks.
inline constexpr std::string_view task_columns =
    "id, project_id, parent_task_id, title, description, status, assignee, task_order, "
    "priority, feature, sources, code_examples, archived, archived_at, archived_by, created_at, "
    "updated_at";
[[nodiscard]] json task_json(const store::Statement& row, bool exclude_large_fields = false);

// The project's column `field` (docs, features, data, prd) as JSON, inside the caller's
// transaction; and writing it back (with updated_at).
[[nodiscard]] std::optional<json> load_project_field(store::Connection& c, const std::string& id,
                                                     const std::string& field);
void store_project_field(store::Connection& c, const std::string& id, const std::string& field,
                         const json& value, const std::string& now);

// Versioned project fields.
[[nodiscard]] bool is_versioned_field(std::string_view field);
// Adds a version (number = last + 1) of project `id`'s `field`; returns its dict.
json add_version(store::Connection& c, const std::string& project_id, const std::string& field,
                 const json& content, const std::optional<std::string>& change_summary,
                 const std::string& change_type, const std::optional<std::string>& document_id,
                 const std::string& created_by);

}  // namespace mcpgate::backend::embedded
