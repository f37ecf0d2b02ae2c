// /api/projects/{pid}/versions: snapshots of a project's docs, features, data and prd fields,
// and restoring one (which first saves the current value, so a restore can itself be undone).
#include "core_routes.hpp"
#include "records.hpp"
#include "values.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace mcpgate::backend::embedded {

namespace {

constexpr std::string_view version_columns =
    "id, project_id, field_name, version_number, content, change_summary, change_type, "
    "document_id, created_by, created_at";

json version_json(const store::Statement& row) {
  auto opt = [&row](int col) { return row.is_null(col) ? json(nullptr) : json(row.text(col)); };
  return json{{"id", row.text(0)},          {"project_id", row.text(1)},
              {"field_name", row.text(2)},  {"version_number", row.int64(3)},
              {"content", parse_stored(row.text(4))}, {"change_summary", opt(5)},
              {"change_type", row.text(6)}, {"document_id", opt(7)},
              {"created_by", row.text(8)},  {"created_at", row.text(9)}};
}

[[noreturn]] void project_missing(const std::string& id) {
  throw RouteError(detail_error(404, "Project " + id + " not found"));
}

void check_field(const std::string& field) {
  if (!is_versioned_field(field))
    invalid("Invalid field_name '" + field + "'. Must be one of: docs, features, data, prd");
}

std::int64_t version_number(const std::string& text) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 1)
    invalid("Version number must be a positive integer, not '" + text + "'");
  return value;
}

[[noreturn]] void version_missing(std::int64_t number, const std::string& field) {
  throw RouteError(detail_error(404, "Version " + std::to_string(number) + " not found for field " + field));
}

// The value a version puts back into its field. Versions of list fields are stored as objects
// (the API takes objects only), so {"docs": [...]} restores the list inside it.
json restored_value(const std::string& field, const json& content) {
  if (content.is_object() && content.size() == 1 && content.contains(field)) return content[field];
  return content;
}

// Why CONTENT cannot be restored into FIELD, if it cannot. docs is the list the document routes
// read and write, so only a list of documents can go back into it; the other fields take any
// JSON. Asked at create as well as at restore, so that a version the store accepts is one it
// can restore (Archon's API would put any object back and leave docs unreadable).
std::optional<std::string> unrestorable(const std::string& field, const json& content) {
  if (field != "docs") return std::nullopt;
  const json value = restored_value(field, content);
  const auto is_document = [](const json& doc) { return doc.is_object(); };
  const bool documents =
      value.is_array() && std::all_of(value.begin(), value.end(), is_document);
  if (documents) return std::nullopt;
  return "a version of docs must hold the project's list of documents as {\"docs\": [{...}, ...]}, "
         "the list a restore puts back as the project's docs";
}

Response list_versions(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  auto field = request.query_value("field_name");
  if (field && field->empty()) field.reset();
  if (field) check_field(*field);
  json versions = db.read([&](store::Connection& c) {
    if (!project_exists(c, project_id)) project_missing(project_id);
    auto rows = c.prepare("SELECT " + std::string(version_columns) +
                          " FROM document_versions WHERE project_id = ? "
                          "AND (CAST(? AS TEXT) IS NULL OR field_name = ?) "
                          "ORDER BY version_number DESC, field_name, created_at DESC");
    rows.bind_all(project_id, field, field);
    json out = json::array();
    while (rows.step()) out.push_back(version_json(rows));
    return out;
  });
  const std::size_t total = versions.size();
  return reply(200, json{{"project_id", project_id},
                         {"field_name", field ? json(*field) : json(nullptr)},
                         {"versions", std::move(versions)},
                         {"total_count", total}});
}

Response create_version(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const json& body = body_object(request);
  const std::string field = required_text(body, "field_name");
  check_field(field);
  const auto content = body.find("content");
  if (content == body.end() || content->is_null()) invalid("Field 'content' is required");
  // Archon's model takes an object only; the tool explains list content to the user.
  if (!content->is_object()) invalid("Field 'content' must be a JSON object (wrap a list in one)");
  if (auto why = unrestorable(field, *content)) invalid("Field 'content': " + *why);
  const auto summary = string_field(body, "change_summary");
  const std::string change_type = string_field(body, "change_type").value_or("update");
  const auto document_id = string_field(body, "document_id");
  const std::string created_by = string_field(body, "created_by").value_or("system");

  json version = db.write([&](store::Connection& c) {
    if (!project_exists(c, project_id)) project_missing(project_id);
    return add_version(c, project_id, field, *content, summary, change_type, document_id,
                       created_by);
  });
  return reply(200, json{{"message", "Version created successfully"}, {"version", std::move(version)}});
}

std::optional<json> find_version(store::Connection& c, const std::string& project_id,
                                 const std::string& field, std::int64_t number) {
  auto row = c.prepare("SELECT " + std::string(version_columns) +
                       " FROM document_versions WHERE project_id = ? AND field_name = ? "
                       "AND version_number = ?");
  row.bind_all(project_id, field, number);
  if (!row.step()) return std::nullopt;
  return version_json(row);
}

Response get_version(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const std::string& field = request.params[1];
  check_field(field);
  const auto number = version_number(request.params[2]);
  json version = db.read([&](store::Connection& c) {
    if (!project_exists(c, project_id)) project_missing(project_id);
    auto found = find_version(c, project_id, field, number);
    if (!found) version_missing(number, field);
    return std::move(*found);
  });
  json content = version["content"];
  return reply(200, json{{"version", std::move(version)},
                         {"content", std::move(content)},
                         {"field_name", field},
                         {"version_number", number}});
}


Response restore_version(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const std::string& field = request.params[1];
  check_field(field);
  const auto number = version_number(request.params[2]);
  const json& body = body_object(request);
  const std::string restored_by = string_field(body, "restored_by").value_or("system");

  db.write([&](store::Connection& c) {
    auto current = load_project_field(c, project_id, field);
    if (!current) project_missing(project_id);
    auto version = find_version(c, project_id, field, number);
    if (!version) version_missing(number, field);
    // Versions stored before create checked their content (or by an older mcpgate) may still
    // be unrestorable; they stay readable with find_versions.
    const json& content = (*version)["content"];
    if (auto why = unrestorable(field, content))
      invalid("Version " + std::to_string(number) + " of docs cannot be restored: " + *why);
    const json value = restored_value(field, content);
    // Save what the restore replaces; the entry also records who restored what.
    add_version(c, project_id, field, *current,
                "Before restoring version " + std::to_string(number) + " (restored by " +
                    restored_by + ")",
                "restore", std::nullopt, restored_by);
    store_project_field(c, project_id, field, value, now_timestamp());
  });
  return reply(200, json{{"message", "Successfully restored " + field + " to version " +
                                         std::to_string(number)},
                         {"project_id", project_id},
                         {"field_name", field},
                         {"restored_version", number},
                         {"restored_by", restored_by}});
}

}  // namespace

void add_version_routes(Router& router, store::Database& db) {
  router.add("GET", "/api/projects/{pid}/versions",
             [&db](const RouteRequest& r) { return list_versions(db, r); });
  router.add("POST", "/api/projects/{pid}/versions",
             [&db](const RouteRequest& r) { return create_version(db, r); });
  router.add("GET", "/api/projects/{pid}/versions/{field}/{n}",
             [&db](const RouteRequest& r) { return get_version(db, r); });
  router.add("POST", "/api/projects/{pid}/versions/{field}/{n}/restore",
             [&db](const RouteRequest& r) { return restore_version(db, r); });
}

}  // namespace mcpgate::backend::embedded
