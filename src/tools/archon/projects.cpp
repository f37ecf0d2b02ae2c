// find_projects and manage_project.
#include "tool_support.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace mcpgate::tools::archon::detail {

namespace {

// Archon's optimize_project_response: a long description is truncated, and a features list is
// counted (features_count) and cut to its first 3 entries. docs and data are left as they are.
json optimize_project(json project) {
  if (!project.is_object()) return project;
  if (auto it = project.find("description"); it != project.end() && it->is_string() && truthy(*it))
    *it = truncate_text(it->get_ref<const std::string&>());
  if (auto it = project.find("features"); it != project.end() && it->is_array()) {
    const std::size_t count = it->size();
    if (count > 3) it->erase(it->begin() + 3, it->end());
    project["features_count"] = count;
  }
  return project;
}

// A field case-folded for the query filter; a missing or null field matches nothing.
std::string folded_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return (it != object.end() && it->is_string())
             ? util::fold_case(it->get_ref<const std::string&>())
             : std::string();
}

json find_projects(const ApiClient& api, const Args& args) {
  if (const auto project_id = args.str("project_id"); given(project_id)) {
    auto response = api.get("/api/projects/" + path_segment(*project_id, "project_id"));
    if (response.status == 404)
      return errors::not_found("Project " + *project_id + " not found",
                               "Verify the project ID is correct");
    if (!response.ok()) return errors::from_http_error(response, "get project");
    return json{{"success", true}, {"project", take_json_body(response, "get project")}};
  }

  const auto query = args.str("query");
  const long long page = args.integer_or("page", 1);
  const long long per_page = args.integer_or("per_page", 10);

  const auto response = api.get("/api/projects");
  if (!response.ok()) return errors::from_http_error(response, "list projects");
  const json& body = object_body(response, "list projects");
  json projects = get_or(body, "projects", json::array());
  if (!projects.is_array())
    return errors::invalid_response("Failed to list projects: the answer's projects field is not a list",
                                    nullptr, response.status);

  if (given(query)) {
    // Archon: query.lower() in title.lower(); Unicode-wide here too (util/case_fold.hpp).
    const std::string needle = util::fold_case(*query);
    json kept = json::array();
    for (auto& project : projects) {
      if (!project.is_object()) continue;
      if (folded_field(project, "title").find(needle) != std::string::npos ||
          folded_field(project, "description").find(needle) != std::string::npos)
        kept.push_back(std::move(project));
    }
    projects = std::move(kept);
  }

  json page_items = json::array();
  for (auto& project : page_slice(projects, page, per_page))
    page_items.push_back(optimize_project(std::move(project)));
  const std::size_t count = page_items.size();
  return json{{"success", true},      {"projects", std::move(page_items)},
              {"count", count},       {"total", projects.size()},
              {"page", page},         {"per_page", per_page},
              {"query", or_null(query)}};
}

// The success payload for a created project (sync answer or completed progress).
json created_project(const json& holder) {
  json project = get_or(holder, "project", json::object());
  if (project.is_null()) project = json::object();
  return json{{"success", true},
              {"project", optimize_project(project)},
              {"project_id", get_or(project, "id", nullptr)},
              {"message", get_or(holder, "message", "Project created successfully")}};
}

// Archon's asynchronous creation path: POST answered {progress_id}; poll GET /api/progress/{id}
// with backoff until it reports completed or failed. Transport failures are retried, non-2xx
// answers ignored; the client's cancellation stops the wait.
json poll_project_creation(const ApiClient& api, const ProjectPolling& polling,
                           const json& progress_id, ToolContext& context) {
  std::string path;
  try {
    path = "/api/progress/" + path_segment(as_text(progress_id), "progress_id");
  } catch (const ArgumentError& e) {  // the backend's id, not the client's: its answer is wrong
    return errors::invalid_response(std::string("Failed to create project: ") + e.what(),
                                    json{{"progress_id", progress_id}});
  }
  for (int attempt = 0; attempt < polling.max_attempts; ++attempt) {
    const auto factor = std::chrono::milliseconds(polling.base_interval.count()
                                                  << std::min(attempt, 20));
    const auto interval = std::min(factor, polling.max_interval);
    const auto wake = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < wake) {
      if (context.cancelled()) break;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50),
                                                        wake - std::chrono::steady_clock::now()));
    }
    if (context.cancelled())
      return errors::format_error("cancelled", "Project creation polling was cancelled",
                                  json{{"progress_id", progress_id}},
                                  "Check project status manually");

    try {
      const auto response = api.request("GET", path, {}, nullptr, polling.timeouts);
      if (!response.ok() || !response.body_json || !response.body_json->is_object()) continue;
      const json& progress = *response.body_json;
      const json status = get_or(progress, "status", nullptr);
      if (status == "completed") {
        json result = get_or(progress, "result", json::object());
        if (!result.is_object()) result = json::object();
        return created_project(result);
      }
      if (status == "failed")
        return errors::format_error("creation_failed",
                                    as_text(get_or(progress, "error", "Project creation failed")),
                                    get_or(progress, "details", nullptr));
    } catch (const backend::TransportError&) {
      if (attempt == polling.max_attempts - 1)
        return errors::format_error("timeout", "Project creation timed out", nullptr,
                                    "Check project status manually");
    }
  }
  return errors::format_error("timeout", "Project creation timed out after maximum attempts",
                              json{{"progress_id", progress_id}});
}

json manage_project(const ApiClient& api, const ProjectPolling& polling, const Args& args,
                    const std::string& action, ToolContext& context) {
  const auto project_id = args.str("project_id");
  const auto title = args.str("title");
  const auto description = args.str("description");
  const auto github_repo = args.str("github_repo");

  if (action == "create") {
    if (!given(title)) return errors::validation_error("title required for create");
    const auto response = api.post("/api/projects", json{{"title", *title},
                                                         {"description", or_default(description, "")},
                                                         {"github_repo", or_null(github_repo)}});
    if (!response.ok()) return errors::from_http_error(response, "create project");
    const json& body = object_body(response, "create project");
    if (body.contains("progress_id"))
      return poll_project_creation(api, polling, body["progress_id"], context);
    return created_project(body);
  }

  if (action == "update") {
    if (!given(project_id)) return errors::validation_error("project_id required for update");
    json fields = json::object();
    if (title) fields["title"] = *title;
    if (description) fields["description"] = *description;
    if (github_repo) fields["github_repo"] = *github_repo;
    if (fields.empty()) return errors::validation_error("No fields to update");

    const auto response = api.put("/api/projects/" + path_segment(*project_id, "project_id"), fields);
    if (!response.ok()) return errors::from_http_error(response, "update project");
    const json& body = object_body(response, "update project");
    // Archon's backend answers with the updated project itself; an answer wrapped as
    // {"project": ..., "message": ...} is accepted too.
    json project = nullptr;
    if (auto it = body.find("project"); it != body.end())
      project = *it;
    else if (body.contains("id"))
      project = body;
    if (truthy(project)) project = optimize_project(std::move(project));
    json message = body.contains("project") ? get_or(body, "message", "Project updated successfully")
                                            : json("Project updated successfully");
    return json{{"success", true}, {"project", std::move(project)}, {"message", std::move(message)}};
  }

  if (action == "delete") {
    if (!given(project_id)) return errors::validation_error("project_id required for delete");
    const auto response = api.del("/api/projects/" + path_segment(*project_id, "project_id"));
    if (!response.ok()) return errors::from_http_error(response, "delete project");
    const json body = response.body_json.value_or(json::object());
    return json{{"success", true},
                {"message", get_or(body, "message", "Project deleted successfully")}};
  }

  return errors::invalid_action("Unknown action: " + action);
}

}  // namespace

void register_project_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options) {
  registry.add(make_tool(
      "find_projects", "Find projects",
      "Find Archon projects. With project_id, returns that one project in full (documents, "
      "features, data, sources). Without it, lists projects, optionally narrowed by a keyword "
      "that must appear in the title or description (case-insensitive), a page at a time; list "
      "entries have long descriptions shortened and at most 3 features (features_count gives the "
      "real number). Use it to find the project_id that task and document tools need.",
      object_schema(
          "find_projects",
          {optional_string("project_id", "Return this project in full instead of a list."),
           optional_string("query", "Keep only projects whose title or description contains "
                                    "this text (case-insensitive)."),
           integer_with_default("page", 1, "Which page of the list to return, from 1."),
           integer_with_default("per_page", 10, "How many projects per page.")}),
      true,
      [api = ApiClient(backend, options.api, "find_projects")](const json& arguments,
                                                             ToolContext&) {
        return run_structured(api, "list projects", nullptr,
                              [&] { return find_projects(api, Args(arguments)); });
      }));

  registry.add(make_tool(
      "manage_project", "Create, update or delete a project",
      "Create, update or delete an Archon project, chosen by action. \"create\" needs a title "
      "(description and github_repo are optional) and returns the new project with its "
      "project_id; the server may take a while when it drafts documents with AI. \"update\" needs "
      "project_id and at least one of title, description, github_repo; it returns the updated "
      "project. \"delete\" needs project_id and also removes the project's tasks.",
      object_schema(
          "manage_project",
          {required_string("action", "What to do: \"create\", \"update\" or \"delete\"."),
           optional_string("project_id", "The project to update or delete."),
           optional_string("title", "Project title; required to create."),
           optional_string("description", "What the project is for: goals and scope."),
           optional_string("github_repo",
                           "URL of the project's GitHub repository, e.g. "
                           "\"https://github.com/org/repo\".")}),
      false,
      [api = ApiClient(backend, options.api, "manage_project"),
       polling = options.project_polling](const json& arguments, ToolContext& context) {
        const Args args(arguments);
        std::string action;
        try {
          action = args.required_str("action");
        } catch (const ArgumentError&) {
        }
        return run_structured(api, action + " project", nullptr, [&] {
          return manage_project(api, polling, args, args.required_str("action"), context);
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
