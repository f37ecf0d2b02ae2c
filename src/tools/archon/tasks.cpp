// find_tasks and manage_task.
#include "tool_support.hpp"

#include <array>

namespace mcpgate::tools::archon::detail {

namespace {

constexpr std::array<std::string_view, 4> task_statuses{"todo", "doing", "review", "done"};

// The assignee filter is applied here (Archon's backend ignores the parameter), so every page of
// the backend's list is read, this many tasks at a time, up to this many pages.
constexpr long long assignee_scan_page_size = 100;
constexpr long long assignee_scan_max_pages = 20;

std::string bool_text(bool value) { return value ? "true" : "false"; }

// Archon's optimize_task_response: a long description is truncated; sources and code_examples
// lists are replaced by their counts.
json optimize_task(json task) {
  if (!task.is_object()) return task;
  if (auto it = task.find("description"); it != task.end() && it->is_string() && truthy(*it))
    *it = truncate_text(it->get_ref<const std::string&>());
  for (const char* key : {"sources", "code_examples"}) {
    if (auto it = task.find(key); it != task.end() && it->is_array()) {
      const std::size_t count = it->size();
      task.erase(it);
      task[std::string(key) + "_count"] = count;
    }
  }
  return task;
}

struct TaskList {
  json tasks;
  json total_count;
};

// The task endpoints answer a bare list (/api/projects/{id}/tasks) or
// {"tasks": [page], "pagination": {"total", ...}} (/api/tasks); {"data", "total"} is accepted too.
// Python's type name for a JSON value, as Archon reports it in details.response_type.
std::string python_type(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "NoneType";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float";
    case json::value_t::string: return "str";
    case json::value_t::array: return "list";
    default: return "dict";
  }
}

TaskList normalize_tasks(const json& body) {
  if (body.is_array()) return TaskList{body, body.size()};
  if (!body.is_object())
    throw Reply{errors::format_error("invalid_response", "Invalid response type from API",
                                     json{{"response_type", python_type(body)}})};
  auto list = [&](const char* key) {
    const json& items = body[key];
    if (!items.is_array())
      throw Reply{errors::format_error("invalid_response",
                                       std::string("Unexpected response format from API: `") +
                                           key + "` is not a list")};
    return items;
  };
  if (body.contains("tasks")) {
    json tasks = list("tasks");
    json total = tasks.size();
    const json pagination = get_or(body, "pagination", nullptr);
    if (pagination.is_object() && pagination.contains("total") && pagination["total"].is_number())
      total = pagination["total"];
    else if (body.contains("total_count"))
      total = body["total_count"];
    return TaskList{std::move(tasks), std::move(total)};
  }
  if (body.contains("data")) {
    json tasks = list("data");
    json total = get_or(body, "total", tasks.size());
    return TaskList{std::move(tasks), std::move(total)};
  }
  json keys = json::array();
  for (const auto& item : body.items()) keys.push_back(item.key());
  throw Reply{errors::format_error("invalid_response", "Unexpected response format from API",
                                   json{{"response_keys", std::move(keys)}})};
}

json task_list_payload(json tasks, json total_count, const std::optional<std::string>& query) {
  json optimized = json::array();
  for (auto& task : tasks) optimized.push_back(optimize_task(std::move(task)));
  const std::size_t count = optimized.size();
  return json{{"success", true},
              {"tasks", std::move(optimized)},
              {"total_count", std::move(total_count)},
              {"count", count},
              {"query", or_null(query)}};
}

// filter_by="assignee": read every page of /api/tasks (narrowed by the other filters), keep the
// tasks whose assignee equals filter_value (ignoring case, Unicode-wide: util/case_fold.hpp),
// then cut the requested page.
json find_tasks_by_assignee(const ApiClient& api, const Args& args, const std::string& assignee,
                            ToolContext& context) {
  const auto query = args.str("query");
  const auto project_id = args.str("project_id");
  const bool include_closed = args.boolean_or("include_closed", true);

  json collected = json::array();
  for (long long page = 1; page <= assignee_scan_max_pages; ++page) {
    backend::Query params{{"page", std::to_string(page)},
                          {"per_page", std::to_string(assignee_scan_page_size)},
                          {"exclude_large_fields", "true"}};
    if (given(query)) params.emplace_back("q", *query);
    params.emplace_back("assignee", assignee);
    params.emplace_back("include_closed", bool_text(include_closed));
    if (given(project_id)) params.emplace_back("project_id", *project_id);

    const auto response = api.get("/api/tasks", params);
    if (!response.ok()) return errors::from_http_error(response, "list tasks");
    const json& body = json_body(response, "list tasks");
    const TaskList list = normalize_tasks(body);
    for (const auto& task : list.tasks) collected.push_back(task);

    // Is there another page? Trust the backend's pagination, then an explicit total, and
    // otherwise assume more while pages come back full.
    bool more = false;
    const json pagination = get_or(body, "pagination", nullptr);
    const json pages = get_or(pagination, "pages", nullptr);
    const json total = pagination.is_object() ? get_or(pagination, "total", nullptr)
                                              : get_or(body, "total_count", nullptr);
    if (body.is_array() || list.tasks.empty()) {
      more = false;  // a bare list is everything
    } else if (pages.is_number()) {
      more = page < pages.get<long long>();
    } else if (total.is_number()) {
      more = static_cast<long long>(collected.size()) < total.get<long long>();
    } else {
      more = static_cast<long long>(list.tasks.size()) >= assignee_scan_page_size;
    }
    if (!more || context.cancelled()) break;
  }

  const std::string wanted = util::fold_case(assignee);
  json matching = json::array();
  for (auto& task : collected) {
    const json who = get_or(task, "assignee", nullptr);
    if (who.is_string() && util::fold_case(who.get_ref<const std::string&>()) == wanted)
      matching.push_back(std::move(task));
  }
  const std::size_t total = matching.size();
  return task_list_payload(
      page_slice(matching, args.integer_or("page", 1), args.integer_or("per_page", 10)), total,
      query);
}

json find_tasks(const ApiClient& api, const Args& args, ToolContext& context) {
  if (const auto task_id = args.str("task_id"); given(task_id)) {
    auto response = api.get("/api/tasks/" + path_segment(*task_id, "task_id"));
    if (response.status == 404)
      return errors::not_found("Task " + *task_id + " not found", "Verify the task ID is correct");
    if (!response.ok()) return errors::from_http_error(response, "get task");
    return json{{"success", true}, {"task", take_json_body(response, "get task")}};
  }

  const auto query = args.str("query");
  const auto filter_by = args.str("filter_by");
  const auto filter_value = args.str("filter_value");
  const auto project_id = args.str("project_id");
  const bool include_closed = args.boolean_or("include_closed", true);

  backend::Query params{{"page", std::to_string(args.integer_or("page", 1))},
                        {"per_page", std::to_string(args.integer_or("per_page", 10))},
                        {"exclude_large_fields", "true"}};
  if (given(query)) params.emplace_back("q", *query);

  std::string path = "/api/tasks";
  if (filter_by == "project" && given(filter_value)) {
    path = "/api/projects/" + path_segment(*filter_value, "filter_value") + "/tasks";
    params.emplace_back("include_archived", "false");
  } else if (filter_by == "status" && given(filter_value)) {
    params.emplace_back("status", *filter_value);
    params.emplace_back("include_closed", bool_text(include_closed));
    if (given(project_id)) params.emplace_back("project_id", *project_id);
  } else if (filter_by == "assignee" && given(filter_value)) {
    return find_tasks_by_assignee(api, args, *filter_value, context);
  } else if (given(project_id)) {
    params.emplace_back("project_id", *project_id);
    params.emplace_back("include_closed", bool_text(include_closed));
  } else {
    params.emplace_back("include_closed", bool_text(include_closed));
  }

  const auto response = api.get(path, params);
  if (!response.ok()) return errors::from_http_error(response, "list tasks");
  TaskList list = normalize_tasks(json_body(response, "list tasks"));
  return task_list_payload(std::move(list.tasks), std::move(list.total_count), query);
}

bool is_task_status(std::string_view status) {
  for (auto s : task_statuses)
    if (s == status) return true;
  return false;
}

json manage_task(const ApiClient& api, const Args& args, const std::string& action) {
  const auto task_id = args.str("task_id");
  const auto project_id = args.str("project_id");
  const auto title = args.str("title");
  const auto description = args.str("description");
  const auto status = args.str("status");
  const auto assignee = args.str("assignee");
  const auto task_order = args.integer("task_order");
  const auto feature = args.str("feature");

  if (action == "create") {
    if (!given(project_id) || !given(title))
      return errors::validation_error("project_id and title required for create",
                                      "Provide both project_id and title");
    // Archon's backend always creates tasks as "todo"; another status is set right after.
    const bool set_status = given(status) && *status != "todo";
    if (set_status && !is_task_status(*status))
      return errors::validation_error("Invalid status '" + *status +
                                          "'. Must be one of: todo, doing, review, done",
                                      "Use todo, doing, review or done");

    const auto response = api.post("/api/tasks", json{{"project_id", *project_id},
                                                      {"title", *title},
                                                      {"description", or_default(description, "")},
                                                      {"assignee", or_default(assignee, "User")},
                                                      {"task_order", task_order.value_or(0)},
                                                      {"feature", or_null(feature)},
                                                      {"sources", json::array()},
                                                      {"code_examples", json::array()}});
    if (!response.ok()) return errors::from_http_error(response, "create task");
    const json& body = object_body(response, "create task");
    json task = get_or(body, "task", nullptr);

    if (set_status) {
      const json id = get_or(task, "id", nullptr);
      if (!truthy(id))
        return errors::invalid_response(
            "Task created, but its status could not be set to '" + *status +
                "': the Archon API's answer has no task id",
            json{{"response_body", body}}, response.status);
      const std::string operation =
          "set the status of new task " + as_text(id) + " (created as todo)";
      std::string task_path;
      try {
        task_path = "/api/tasks/" + path_segment(as_text(id), "task id");
      } catch (const ArgumentError& e) {  // the backend's id, not the client's
        return errors::invalid_response("Task created, but its status could not be set to '" +
                                            *status + "': " + e.what(),
                                        json{{"response_body", body}}, response.status);
      }
      try {
        const auto update = api.put(task_path, json{{"status", *status}});
        if (!update.ok()) {
          json error = errors::from_http_error(update, operation);
          error["error"]["details"]["task_id"] = id;
          return error;
        }
        const json updated = get_or(json_body(update, operation), "task", nullptr);
        if (truthy(updated)) task = updated;
      } catch (const backend::TransportError& e) {
        return errors::from_transport(e, operation, api.timeouts(), json{{"task_id", id}});
      }
    }

    if (truthy(task)) task = optimize_task(std::move(task));
    json new_id = truthy(task) ? get_or(task, "id", nullptr) : json(nullptr);
    return json{{"success", true},
                {"task", std::move(task)},
                {"task_id", std::move(new_id)},
                {"message", get_or(body, "message", "Task created successfully")}};
  }

  if (action == "update") {
    if (!given(task_id))
      return errors::validation_error("task_id required for update", "Provide task_id to update");
    json fields = json::object();
    if (title) fields["title"] = *title;
    if (description) fields["description"] = *description;
    if (status) fields["status"] = *status;
    if (assignee) fields["assignee"] = *assignee;
    if (task_order) fields["task_order"] = *task_order;
    if (feature) fields["feature"] = *feature;
    if (fields.empty())
      return errors::validation_error("No fields to update", "Provide at least one field to update");

    const auto response = api.put("/api/tasks/" + path_segment(*task_id, "task_id"), fields);
    if (!response.ok()) return errors::from_http_error(response, "update task");
    const json& body = object_body(response, "update task");
    json task = get_or(body, "task", nullptr);
    if (truthy(task)) task = optimize_task(std::move(task));
    return json{{"success", true},
                {"task", std::move(task)},
                {"message", get_or(body, "message", "Task updated successfully")}};
  }

  if (action == "delete") {
    if (!given(task_id))
      return errors::validation_error("task_id required for delete", "Provide task_id to delete");
    const auto response = api.del("/api/tasks/" + path_segment(*task_id, "task_id"));
    if (!response.ok()) return errors::from_http_error(response, "delete task");
    const json body = response.body_json.value_or(json::object());
    return json{{"success", true}, {"message", get_or(body, "message", "Task deleted successfully")}};
  }

  return errors::invalid_action("Unknown action: " + action, "Use 'create', 'update', or 'delete'");
}

}  // namespace

void register_task_tools(ToolRegistry& registry, const std::shared_ptr<backend::Backend>& backend,
                         const ArchonToolOptions& options) {
  registry.add(make_tool(
      "find_tasks", "Find tasks",
      "Find Archon tasks. With task_id, returns that one task in full. Otherwise lists tasks a "
      "page at a time, with long descriptions shortened: narrow "
      "the list with a keyword query (title, description, feature), with filter_by + "
      "filter_value, and/or with project_id. filter_by is \"status\" (filter_value todo, doing, "
      "review or done), \"project\" (filter_value a project_id; returns all of that project's "
      "tasks at once) or \"assignee\" (filter_value a name such as \"User\" or \"Coding "
      "Agent\"). Typical use: find_tasks(filter_by=\"status\", filter_value=\"todo\", "
      "project_id=...) to pick the next task.",
      object_schema(
          "find_tasks",
          {optional_string("query", "Keyword to look for in task titles, descriptions and "
                                    "features."),
           optional_string("task_id", "Return this task in full instead of a list."),
           optional_string("filter_by", "Which field filter_value applies to: \"status\", "
                                        "\"project\" or \"assignee\"."),
           optional_string("filter_value",
                           "The value to filter on: a status (todo, doing, review, done), a "
                           "project_id or an assignee name, per filter_by."),
           optional_string("project_id", "Only tasks of this project (combines with the status "
                                         "and assignee filters)."),
           boolean_with_default("include_closed", true, "Include tasks whose status is done."),
           integer_with_default("page", 1, "Which page of the list to return, from 1."),
           integer_with_default("per_page", 10, "How many tasks per page.")}),
      true,
      [api = ApiClient(backend, options.api, "find_tasks")](const json& arguments,
                                                          ToolContext& context) {
        const Args args(arguments);
        json transport_context{{"filter_by", nullptr}, {"filter_value", nullptr}};
        try {
          transport_context = json{{"filter_by", or_null(args.str("filter_by"))},
                                   {"filter_value", or_null(args.str("filter_value"))}};
        } catch (const ArgumentError&) {
        }
        return run_structured(api, "list tasks", transport_context,
                              [&] { return find_tasks(api, args, context); });
      }));

  registry.add(make_tool(
      "manage_task", "Create, update or delete a task",
      "Create, update or delete an Archon task, chosen by action. \"create\" needs project_id and "
      "title; description, status (default todo), assignee (default \"User\"), task_order and "
      "feature are optional. \"update\" needs task_id and at least one field to change - the "
      "usual flow is todo -> doing -> review -> done, with one task in doing at a time. "
      "\"delete\" needs task_id and archives the task. Keep tasks small: 30 minutes to 4 hours "
      "of work each, with clear completion criteria in the description.",
      object_schema(
          "manage_task",
          {required_string("action", "What to do: \"create\", \"update\" or \"delete\"."),
           optional_string("task_id", "The task to update or delete."),
           optional_string("project_id", "The project the new task belongs to; required to "
                                         "create."),
           optional_string("title", "Short task title; required to create."),
           optional_string("description", "What to do and how to tell it is done."),
           optional_string("status", "Task status: \"todo\", \"doing\", \"review\" or \"done\"."),
           optional_string("assignee", "Who works on it: \"User\" for a person, or an agent name "
                                       "such as \"Archon\" or \"Coding Agent\"."),
           optional_integer("task_order", "Priority within the status column, 0-100; higher "
                                          "comes first."),
           optional_string("feature", "Feature label used to group related tasks.")}),
      false,
      [api = ApiClient(backend, options.api, "manage_task")](const json& arguments, ToolContext&) {
        const Args args(arguments);
        std::string action;
        json transport_context{{"task_id", nullptr}, {"project_id", nullptr}};
        try {
          action = args.str("action").value_or("");
          transport_context = json{{"task_id", or_null(args.str("task_id"))},
                                   {"project_id", or_null(args.str("project_id"))}};
        } catch (const ArgumentError&) {
        }
        return run_structured(api, action + " task", transport_context, [&] {
          return manage_task(api, args, args.required_str("action"));
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
