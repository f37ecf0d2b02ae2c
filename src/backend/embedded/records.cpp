#include "records.hpp"

#include "mcpgate/util/compact_json.hpp"
#include "values.hpp"

#include <array>

namespace mcpgate::backend::embedded {

void invalid(std::string message) { throw RouteError(detail_object_error(422, std::move(message))); }

const json& body_object(const RouteRequest& request) {
  static const json empty = json::object();
  if (request.body.is_null()) return empty;
  if (!request.body.is_object()) invalid("The request body must be a JSON object");
  return request.body;
}

std::optional<std::string> string_field(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) invalid(std::string("Field '") + key + "' must be a string");
  return it->get<std::string>();
}

std::string required_text(const json& body, const char* key) {
  auto value = string_field(body, key);
  if (!value) invalid(std::string("Field '") + key + "' is required");
  if (value->find_first_not_of(" \t\r\n") == std::string::npos)
    invalid(std::string("Field '") + key + "' cannot be empty");
  return *value;
}

std::optional<std::int64_t> integer_field(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
  }
  invalid(std::string("Field '") + key + "' must be an integer");
}

std::optional<json> array_field(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) invalid(std::string("Field '") + key + "' must be a list");
  return *it;
}

std::int64_t query_integer(const RouteRequest& request, std::string_view name,
                           std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const auto text = request.query_value(name);
  if (!text || text->empty()) return fallback;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text->size())
    invalid("Query parameter '" + std::string(name) + "' must be an integer, not '" + *text + "'");
  if (value < min || value > max)
    invalid("Query parameter '" + std::string(name) + "' must be between " + std::to_string(min) +
            " and " + std::to_string(max));
  return value;
}

bool query_bool(const RouteRequest& request, std::string_view name, bool fallback) {
  const auto text = request.query_value(name);
  if (!text || text->empty()) return fallback;
  std::string lower;
  for (char c : *text) lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  invalid("Query parameter '" + std::string(name) + "' must be true or false, not '" + *text + "'");
}

void check_status(const std::string& status) {
  for (const char* s : {"todo", "doing", "review", "done"})
    if (status == s) return;
  invalid("Invalid status '" + status + "'. Must be one of: todo, doing, review, done");
}

void check_priority(const std::string& priority) {
  for (const char* p : {"low", "medium", "high", "critical"})
    if (priority == p) return;
  invalid("Invalid priority '" + priority + "'. Must be one of: low, medium, high, critical");
}

json parse_stored(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(nullptr) : value;
}

std::string to_stored(const json& value) {
  return util::compact_json(value);
}

std::optional<json> load_project(store::Connection& c, const std::string& id) {
  auto row = c.prepare(
      "SELECT id, title, description, github_repo, docs, features, data, prd, technical_sources, "
      "business_sources, pinned, created_at, updated_at FROM projects WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return json{{"id", row.text(0)},
              {"title", row.text(1)},
              {"description", row.text(2)},
              {"github_repo", row.is_null(3) ? json(nullptr) : json(row.text(3))},
              {"docs", parse_stored(row.text(4))},
              {"features", parse_stored(row.text(5))},
              {"data", parse_stored(row.text(6))},
              {"prd", parse_stored(row.text(7))},
              {"technical_sources", parse_stored(row.text(8))},
              {"business_sources", parse_stored(row.text(9))},
              {"pinned", row.int64(10) != 0},
              {"created_at", row.text(11)},
              {"updated_at", row.text(12)}};
}

bool project_exists(store::Connection& c, const std::string& id) {
  auto row = c.prepare("SELECT 1 FROM projects WHERE id = ?");
  row.bind(1, id);
  return row.step();
}

void project_not_found(const std::string& id) {
  throw RouteError(detail_object_error(404, "Project " + id + " not found"));
}

json task_json(const store::Statement& row, bool exclude_large_fields) {
  auto opt = [&row](int col) { return row.is_null(col) ? json(nullptr) : json(row.text(col)); };
  json task{{"id", row.text(0)},
            {"project_id", row.text(1)},
            {"parent_task_id", opt(2)},
            {"title", row.text(3)},
            {"description", row.text(4)},
            {"status", row.text(5)},
            {"assignee", row.text(6)},
            {"task_order", row.int64(7)},
            {"priority", row.text(8)},
            {"feature", opt(9)},
            {"archived", row.int64(12) != 0},
            {"archived_at", opt(13)},
            {"archived_by", opt(14)},
            {"created_at", row.text(15)},
            {"updated_at", row.text(16)}};
  json sources = parse_stored(row.text(10));
  json examples = parse_stored(row.text(11));
  if (exclude_large_fields) {
    task["stats"] = json{{"sources_count", sources.is_array() ? sources.size() : 0},
                         {"code_examples_count", examples.is_array() ? examples.size() : 0}};
  } else {
    task["sources"] = std::move(sources);
    task["code_examples"] = std::move(examples);
  }
  return task;
}

std::optional<json> load_task(store::Connection& c, const std::string& id) {
  auto row = c.prepare("SELECT " + std::string(task_columns) + " FROM tasks WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return task_json(row);
}

bool is_versioned_field(std::string_view field) {
  return field == "docs" || field == "features" || field == "data" || field == "prd";
}

std::optional<json> load_project_field(store::Connection& c, const std::string& id,
                                       const std::string& field) {
  if (!is_versioned_field(field)) throw std::logic_error("not a project JSON field: " + field);
  auto row = c.prepare("SELECT " + field + " FROM projects WHERE id = ?");
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return parse_stored(row.text(0));
}

void store_project_field(store::Connection& c, const std::string& id, const std::string& field,
                         const json& value, const std::string& now) {
  if (!is_versioned_field(field)) throw std::logic_error("not a project JSON field: " + field);
  c.prepare("UPDATE projects SET " + field + " = ?, updated_at = ? WHERE id = ?")
      .bind_all(to_stored(value), now, id)
      .run();
}

json add_version(store::Connection& c, const std::string& project_id, const std::string& field,
                 const json& content, const std::optional<std::string>& change_summary,
                 const std::string& change_type, const std::optional<std::string>& document_id,
                 const std::string& created_by) {
  auto last = c.prepare(
      "SELECT coalesce(max(version_number), 0) FROM document_versions "
      "WHERE project_id = ? AND field_name = ?");
  last.bind_all(project_id, field);
  last.step();
  const std::int64_t number = last.int64(0) + 1;
  const std::string id = new_id();
  const std::string now = now_timestamp();
  c.prepare(
       "INSERT INTO document_versions(id, project_id, field_name, version_number, content, "
       "change_summary, change_type, document_id, created_by, created_at) "
       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(id, project_id, field, number, to_stored(content), change_summary, change_type,
                document_id, created_by, now)
      .run();
  return json{{"id", id},
              {"project_id", project_id},
              {"field_name", field},
              {"version_number", number},
              {"content", content},
              {"change_summary", change_summary ? json(*change_summary) : json(nullptr)},
              {"change_type", change_type},
              {"document_id", document_id ? json(*document_id) : json(nullptr)},
              {"created_by", created_by},
              {"created_at", now}};
}

}  // namespace mcpgate::backend::embedded
