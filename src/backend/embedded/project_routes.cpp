// /api/projects: list, create, get, update, delete; a project's features and its task list.
#include "core_routes.hpp"
#include "records.hpp"
#include "values.hpp"

namespace mcpgate::backend::embedded {

namespace {

// JSON-valued project fields a create or update may set, and the shape each must have.
struct JsonField {
  const char* name;
  bool must_be_array;
};
constexpr JsonField json_fields[] = {
    {"docs", true},  {"features", false},         {"data", false},
    {"prd", false},  {"technical_sources", true}, {"business_sources", true},
};

json checked_json_field(const json& body, const JsonField& field) {
  const json& value = body.at(field.name);
  if (field.must_be_array && !value.is_array())
    invalid(std::string("Field '") + field.name + "' must be a list");
  if (std::string_view(field.name) == "docs")
    for (const auto& doc : value)
      if (!doc.is_object()) invalid("Field 'docs' must be a list of document objects");
  return value;
}

std::optional<bool> bool_field(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) invalid(std::string("Field '") + key + "' must be true or false");
  return it->get<bool>();
}

// The light list entry (include_content=false): no docs/features/data, counts instead.
json summary(json project) {
  const auto count = [](const json& v) { return v.is_array() ? v.size() : 0; };
  json stats{{"docs_count", count(project["docs"])},
             {"features_count", count(project["features"])},
             {"has_data", !project["data"].is_null() && !project["data"].empty()}};
  for (const char* key : {"docs", "features", "data", "prd"}) project.erase(key);
  project["stats"] = std::move(stats);
  return project;
}

Response list_projects(store::Database& db, const RouteRequest& request) {
  const bool include_content = query_bool(request, "include_content", true);
  json projects = db.read([](store::Connection& c) {
    json out = json::array();
    auto ids = c.prepare("SELECT id FROM projects ORDER BY pinned DESC, created_at DESC, id");
    while (ids.step())
      if (auto project = load_project(c, ids.text(0))) out.push_back(std::move(*project));
    return out;
  });
  if (!include_content)
    for (auto& project : projects) project = summary(std::move(project));
  const std::size_t count = projects.size();
  return reply(200, json{{"projects", std::move(projects)},
                         {"timestamp", now_timestamp()},
                         {"count", count}});
}

Response create_project(store::Database& db, const RouteRequest& request) {
  const json& body = body_object(request);
  const std::string title = required_text(body, "title");
  const std::string description = string_field(body, "description").value_or("");
  const auto github_repo = string_field(body, "github_repo");
  const bool pinned = bool_field(body, "pinned").value_or(false);
  json values{{"docs", json::array()},  {"features", json::array()},
              {"data", json::array()},  {"prd", json::object()},
              {"technical_sources", json::array()}, {"business_sources", json::array()}};
  for (const auto& field : json_fields)
    if (body.contains(field.name) && !body[field.name].is_null())
      values[field.name] = checked_json_field(body, field);

  const std::string id = new_id();
  json project = db.write([&](store::Connection& c) {
    const std::string now = now_timestamp();
    c.prepare(
         "INSERT INTO projects(id, title, description, github_repo, docs, features, data, prd, "
         "technical_sources, business_sources, pinned, created_at, updated_at) "
         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(id, title, description, github_repo, to_stored(values["docs"]),
                  to_stored(values["features"]), to_stored(values["data"]),
                  to_stored(values["prd"]), to_stored(values["technical_sources"]),
                  to_stored(values["business_sources"]), pinned, now, now)
        .run();
    return *load_project(c, id);
  });
  return reply(200, json{{"project_id", id},
                         {"project", std::move(project)},
                         {"status", "completed"},
                         {"message", "Project created successfully"}});
}

Response get_project(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  auto project = db.read([&](store::Connection& c) { return load_project(c, id); });
  if (!project) project_not_found(id);
  return reply(200, std::move(*project));
}

Response update_project(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  const json& body = body_object(request);
  // Validate everything before touching the store.
  std::optional<std::string> title;
  if (body.contains("title") && !body["title"].is_null()) title = required_text(body, "title");
  const auto description = string_field(body, "description");
  const bool repo_given = body.contains("github_repo");
  const auto github_repo = string_field(body, "github_repo");
  const auto pinned = bool_field(body, "pinned");
  json json_updates = json::object();
  for (const auto& field : json_fields)
    if (body.contains(field.name) && !body[field.name].is_null())
      json_updates[field.name] = checked_json_field(body, field);

  json project = db.write([&](store::Connection& c) {
    auto current = load_project(c, id);
    if (!current) project_not_found(id);
    const std::string now = now_timestamp();
    if (title) c.prepare("UPDATE projects SET title = ? WHERE id = ?").bind_all(*title, id).run();
    if (description)
      c.prepare("UPDATE projects SET description = ? WHERE id = ?").bind_all(*description, id).run();
    if (repo_given)
      c.prepare("UPDATE projects SET github_repo = ? WHERE id = ?").bind_all(github_repo, id).run();
    if (pinned) c.prepare("UPDATE projects SET pinned = ? WHERE id = ?").bind_all(*pinned, id).run();
    for (const auto& [field, value] : json_updates.items()) {
      if (is_versioned_field(field)) {
        // Keep what is being replaced, so manage_version restore can bring it back.
        const json& old = (*current)[field];
        if (!old.is_null() && !old.empty() && old != value)
          add_version(c, id, field, old, "Before update via API", "update", std::nullopt,
                      "system");
        store_project_field(c, id, field, value, now);
      } else {
        c.prepare("UPDATE projects SET " + field + " = ? WHERE id = ?")
            .bind_all(to_stored(value), id)
            .run();
      }
    }
    c.prepare("UPDATE projects SET updated_at = ? WHERE id = ?").bind_all(now, id).run();
    return *load_project(c, id);
  });
  return reply(200, std::move(project));
}

Response delete_project(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  const auto deleted_tasks = db.write([&](store::Connection& c) {
    if (!project_exists(c, id)) project_not_found(id);
    auto count = c.prepare("SELECT count(*) FROM tasks WHERE project_id = ?");
    count.bind(1, id);
    count.step();
    const auto tasks = count.int64(0);
    // Tasks and versions go with it (ON DELETE CASCADE).
    c.prepare("DELETE FROM projects WHERE id = ?").bind(1, id).run();
    return tasks;
  });
  return reply(200, json{{"message", "Project deleted successfully"},
                         {"deleted_tasks", deleted_tasks}});
}

Response project_features(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  auto project = db.read([&](store::Connection& c) { return load_project(c, id); });
  if (!project) project_not_found(id);
  json features = (*project)["features"];
  if (features.is_null()) features = json::array();
  const std::size_t count = features.is_array() ? features.size() : 0;
  return reply(200, json{{"features", std::move(features)},
                         {"count", count},
                         {"project_id", id},
                         {"project_title", (*project)["title"]}});
}

// The project's tasks as a bare list (no paging), archived ones only on request.
Response project_tasks(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  const bool include_archived = query_bool(request, "include_archived", false);
  const bool exclude_large = query_bool(request, "exclude_large_fields", false);
  json tasks = db.read([&](store::Connection& c) {
    if (!project_exists(c, id)) project_not_found(id);
    auto rows = c.prepare("SELECT " + std::string(task_columns) +
                          " FROM tasks WHERE project_id = ? AND (? OR archived = 0) "
                          "ORDER BY task_order, created_at, id");
    rows.bind_all(id, include_archived);
    json out = json::array();
    while (rows.step()) out.push_back(task_json(rows, exclude_large));
    return out;
  });
  return reply(200, std::move(tasks));
}

}  // namespace

void add_project_routes(Router& router, store::Database& db) {
  router.add("GET", "/api/projects", [&db](const RouteRequest& r) { return list_projects(db, r); });
  router.add("POST", "/api/projects", [&db](const RouteRequest& r) { return create_project(db, r); });
  router.add("GET", "/api/projects/{id}", [&db](const RouteRequest& r) { return get_project(db, r); });
  router.add("PUT", "/api/projects/{id}", [&db](const RouteRequest& r) { return update_project(db, r); });
  router.add("DELETE", "/api/projects/{id}",
             [&db](const RouteRequest& r) { return delete_project(db, r); });
  router.add("GET", "/api/projects/{id}/features",
             [&db](const RouteRequest& r) { return project_features(db, r); });
  router.add("GET", "/api/projects/{id}/tasks",
             [&db](const RouteRequest& r) { return project_tasks(db, r); });
}

}  // namespace mcpgate::backend::embedded
