// /api/tasks: a filtered, paged list with real totals; create, get, update, archive.
#include "core_routes.hpp"
#include "records.hpp"
#include "values.hpp"

#include "mcpgate/util/case_fold.hpp"

namespace mcpgate::backend::embedded {

namespace {

[[noreturn]] void task_not_found(const std::string& id) {
  throw RouteError(detail_error(404, "Task " + id + " not found"));
}

Response list_tasks(store::Database& db, const RouteRequest& request) {
  const auto status = request.query_value("status");
  if (status && !status->empty()) check_status(*status);
  const auto project_id = request.query_value("project_id");
  const auto q = request.query_value("q");
  const auto assignee = request.query_value("assignee");
  const bool include_closed = query_bool(request, "include_closed", true);
  const bool exclude_large = query_bool(request, "exclude_large_fields", false);
  const auto page = query_integer(request, "page", 1, 1, 1'000'000);
  const auto per_page = query_integer(request, "per_page", 10, 1, 1000);

  // One WHERE for the count and the page; empty filters are ignored (NULL parameters). The
  // CASTs give PostgreSQL a parameter's type where it first sees it in IS NULL.
  const std::string where =
      " WHERE archived = 0"
      " AND (CAST(?1 AS TEXT) IS NULL OR status = ?1)"
      " AND (CAST(?2 AS TEXT) IS NULL OR project_id = ?2)"
      " AND (?3 OR status <> 'done')"
      " AND (CAST(?4 AS TEXT) IS NULL OR instr(casefold(title), ?4) > 0 OR instr(casefold(description), ?4) > 0"
      "      OR instr(casefold(feature), ?4) > 0)"
      " AND (CAST(?5 AS TEXT) IS NULL OR casefold(assignee) = ?5)";
  auto non_empty = [](const std::optional<std::string>& v) {
    return v && !v->empty() ? v : std::nullopt;
  };
  // q looks in the title, the description and the feature, as Archon's task search did.
  // q and assignee match case-insensitively across Unicode (as Archon's Python lower() and
  // Postgres ILIKE did): both sides go through the same folding (casefold(), registered by
  // store::Connection). instr() takes the needle literally, so a % or _ in q is just itself.
  auto folded = [&](const std::optional<std::string>& v) {
    return non_empty(v) ? std::optional(util::fold_case(*v)) : std::nullopt;
  };
  const auto needle = folded(q);
  const auto who = folded(assignee);

  json result = db.read([&](store::Connection& c) {
    auto count = c.prepare("SELECT count(*) FROM tasks" + where);
    count.bind_all(non_empty(status), non_empty(project_id), include_closed, needle, who);
    count.step();
    const std::int64_t total = count.int64(0);
    auto rows = c.prepare("SELECT " + std::string(task_columns) + " FROM tasks" + where +
                          " ORDER BY task_order, created_at, id LIMIT ?6 OFFSET ?7");
    rows.bind_all(non_empty(status), non_empty(project_id), include_closed, needle, who,
                  per_page, (page - 1) * per_page);
    json tasks = json::array();
    while (rows.step()) tasks.push_back(task_json(rows, exclude_large));
    return json{{"tasks", std::move(tasks)},
                {"pagination", {{"total", total},
                                {"page", page},
                                {"per_page", per_page},
                                {"pages", (total + per_page - 1) / per_page}}}};
  });
  return reply(200, std::move(result));
}

Response get_task(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  auto task = db.read([&](store::Connection& c) { return load_task(c, id); });
  if (!task) task_not_found(id);
  return reply(200, std::move(*task));
}

Response create_task(store::Database& db, const RouteRequest& request) {
  const json& body = body_object(request);
  const std::string project_id = required_text(body, "project_id");
  const std::string title = required_text(body, "title");
  const std::string description = string_field(body, "description").value_or("");
  const std::string status = string_field(body, "status").value_or("todo");
  check_status(status);
  const std::string assignee = string_field(body, "assignee").value_or("User");
  const std::int64_t task_order = integer_field(body, "task_order").value_or(0);
  const std::string priority = string_field(body, "priority").value_or("medium");
  check_priority(priority);
  const auto feature = string_field(body, "feature");
  const auto parent = string_field(body, "parent_task_id");
  const json sources = array_field(body, "sources").value_or(json::array());
  const json examples = array_field(body, "code_examples").value_or(json::array());

  const std::string id = new_id();
  json task = db.write([&](store::Connection& c) {
    if (!project_exists(c, project_id)) project_not_found(project_id);
    const std::string now = now_timestamp();
    c.prepare("INSERT INTO tasks(id, project_id, parent_task_id, title, description, status, "
              "assignee, task_order, priority, feature, sources, code_examples, created_at, "
              "updated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(id, project_id, parent, title, description, status, assignee, task_order,
                  priority, feature, to_stored(sources), to_stored(examples), now, now)
        .run();
    return *load_task(c, id);
  });
  return reply(200, json{{"message", "Task created successfully"}, {"task", std::move(task)}});
}

Response update_task(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  const json& body = body_object(request);
  // Column -> new value (text, integer or null), all validated before the transaction.
  std::vector<std::pair<std::string, json>> changes;
  if (body.contains("title") && !body["title"].is_null())
    changes.emplace_back("title", required_text(body, "title"));
  if (auto v = string_field(body, "description")) changes.emplace_back("description", *v);
  if (auto v = string_field(body, "status")) {
    check_status(*v);
    changes.emplace_back("status", *v);
  }
  if (auto v = string_field(body, "assignee")) changes.emplace_back("assignee", *v);
  if (auto v = integer_field(body, "task_order")) changes.emplace_back("task_order", *v);
  if (auto v = string_field(body, "priority")) {
    check_priority(*v);
    changes.emplace_back("priority", *v);
  }
  if (body.contains("feature")) {
    const auto v = string_field(body, "feature");  // null clears it
    changes.emplace_back("feature", v ? json(*v) : json(nullptr));
  }
  if (auto v = array_field(body, "sources")) changes.emplace_back("sources", to_stored(*v));
  if (auto v = array_field(body, "code_examples")) changes.emplace_back("code_examples", to_stored(*v));
  if (changes.empty())
    invalid("No fields to update: give title, description, status, assignee, task_order, "
            "priority, feature, sources or code_examples");

  json task = db.write([&](store::Connection& c) {
    auto exists = c.prepare("SELECT 1 FROM tasks WHERE id = ?");
    exists.bind(1, id);
    if (!exists.step()) task_not_found(id);
    exists.reset();
    // Each column is its own UPDATE of only that column, so concurrent updates of different
    // fields of one task never overwrite each other.
    for (const auto& [column, value] : changes) {
      auto update = c.prepare("UPDATE tasks SET " + column + " = ? WHERE id = ?");
      if (value.is_null()) update.bind(1, nullptr);
      else if (value.is_number_integer()) update.bind(1, value.get<std::int64_t>());
      else update.bind(1, value.get_ref<const std::string&>());
      update.bind(2, id).run();
    }
    c.prepare("UPDATE tasks SET updated_at = ? WHERE id = ?").bind_all(now_timestamp(), id).run();
    return *load_task(c, id);
  });
  return reply(200, json{{"message", "Task updated successfully"}, {"task", std::move(task)}});
}

// Archive, not delete: the task stays readable by id but leaves every list.
Response archive_task(store::Database& db, const RouteRequest& request) {
  const std::string& id = request.params[0];
  const std::string archived_by = request.query_value("archived_by").value_or("mcp");
  db.write([&](store::Connection& c) {
    auto row = c.prepare("SELECT archived FROM tasks WHERE id = ?");
    row.bind(1, id);
    if (!row.step()) task_not_found(id);
    if (row.int64(0) != 0)
      throw RouteError(detail_error(409, "Task " + id + " is already archived"));
    row.reset();
    const std::string now = now_timestamp();
    c.prepare("UPDATE tasks SET archived = 1, archived_at = ?, archived_by = ?, updated_at = ? "
              "WHERE id = ?")
        .bind_all(now, archived_by, now, id)
        .run();
  });
  return reply(200, json{{"message", "Task " + id + " archived successfully"}});
}

}  // namespace

void add_task_routes(Router& router, store::Database& db) {
  router.add("GET", "/api/tasks", [&db](const RouteRequest& r) { return list_tasks(db, r); });
  router.add("POST", "/api/tasks", [&db](const RouteRequest& r) { return create_task(db, r); });
  router.add("GET", "/api/tasks/{id}", [&db](const RouteRequest& r) { return get_task(db, r); });
  router.add("PUT", "/api/tasks/{id}", [&db](const RouteRequest& r) { return update_task(db, r); });
  router.add("DELETE", "/api/tasks/{id}", [&db](const RouteRequest& r) { return archive_task(db, r); });
}

}  // namespace mcpgate::backend::embedded
