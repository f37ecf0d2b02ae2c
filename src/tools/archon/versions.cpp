// find_versions and manage_version: snapshots of a project's JSON fields (docs, features, data,
// prd) that can be restored.
#include "tool_support.hpp"

namespace mcpgate::tools::archon::detail {

namespace {

std::string versions_path(const std::string& project_id) {
  return "/api/projects/" + path_segment(project_id, "project_id") + "/versions";
}

json find_versions(const ApiClient& api, const Args& args) {
  const std::string project_id = args.required_str("project_id");
  const auto field_name = args.str("field_name");
  const auto version_number = args.integer("version_number");

  if (given(field_name) && version_number) {
    auto response = api.get(versions_path(project_id) + "/" + path_segment(*field_name, "field_name") +
                                  "/" + std::to_string(*version_number));
    if (response.status == 404)
      return errors::not_found("Version " + std::to_string(*version_number) +
                                   " not found for field " + *field_name,
                               "Verify the version number and field name");
    if (!response.ok()) return errors::from_http_error(response, "get version");
    return json{{"success", true}, {"version", take_json_body(response, "get version")}};
  }

  backend::Query query;
  if (given(field_name)) query.emplace_back("field_name", *field_name);
  const auto response = api.get(versions_path(project_id), query);
  if (!response.ok()) return errors::from_http_error(response, "list versions");
  const json& body = object_body(response, "list versions");
  const json versions = get_or(body, "versions", json::array());
  if (!versions.is_array())
    return errors::invalid_response(
        "Failed to list versions: the answer's versions field is not a list", nullptr,
        response.status);

  json page_items = json::array();
  for (auto& version :
       page_slice(versions, args.integer_or("page", 1), args.integer_or("per_page", 10))) {
    if (version.is_object()) version.erase("content");
    page_items.push_back(std::move(version));
  }
  const std::size_t count = page_items.size();
  return json{{"success", true},        {"versions", std::move(page_items)},
              {"count", count},         {"total", versions.size()},
              {"project_id", project_id}, {"field_name", or_null(field_name)}};
}

json manage_version(const ApiClient& api, const Args& args, const std::string& action) {
  const std::string project_id = args.required_str("project_id");
  const std::string field_name = args.required_str("field_name");
  const auto version_number = args.integer("version_number");
  const json content = args.raw("content");
  const auto change_summary = args.str("change_summary");
  const auto document_id = args.str("document_id");
  const std::string created_by = args.str("created_by").value_or("system");

  if (action == "create") {
    if (!truthy(content)) return errors::validation_error("content required for create");
    if (!content.is_object() && !content.is_array())
      throw ArgumentError("content must be an object or a list of objects");
    const auto response =
        api.post(versions_path(project_id), json{{"field_name", field_name},
                                                 {"content", content},
                                                 {"change_summary", or_default(change_summary, "No summary provided")},
                                                 {"document_id", or_null(document_id)},
                                                 {"created_by", created_by}});
    if (!response.ok()) {
      // Archon's backend stores object snapshots only and refuses a list with 422; say so
      // instead of passing on a bare "HTTP 422".
      if (response.status == 422 && content.is_array()) {
        json details{{"response_body", response.body_json ? *response.body_json : json(response.body)}};
        return errors::format_error(
            "validation_error",
            "Failed to create version: the Archon API accepts only a JSON object as content, "
            "not a list",
            details,
            "Pass content as an object, e.g. {\"" + field_name + "\": [...]}", 422);
      }
      return errors::from_http_error(response, "create version");
    }
    const json& body = object_body(response, "create version");
    return json{{"success", true},
                {"version", get_or(body, "version", nullptr)},
                {"message", get_or(body, "message", "Version created successfully")}};
  }

  if (action == "restore") {
    if (!version_number) return errors::validation_error("version_number required for restore");
    const auto response = api.post(versions_path(project_id) + "/" + path_segment(field_name, "field_name") +
                                       "/" + std::to_string(*version_number) + "/restore",
                                   json::object());
    if (!response.ok()) return errors::from_http_error(response, "restore version");
    const json body = response.body_json.value_or(json::object());
    return json{{"success", true},
                {"message", get_or(body, "message", "Version restored successfully")},
                {"field_name", field_name},
                {"version_number", *version_number}};
  }

  return errors::invalid_action("Unknown action: " + action + ". Use 'create' or 'restore'");
}

}  // namespace

void register_version_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options) {
  const json object_type{{"type", "object"}, {"additionalProperties", true}};

  registry.add(make_tool(
      "find_versions", "Find version history",
      "Look at the saved versions of a project's JSON fields (docs, features, data, prd). With "
      "field_name and version_number, returns that one version including its content. "
      "Otherwise lists versions newest first, without content, optionally only those of "
      "field_name, a page at a time. Use it before manage_version restore to pick a version.",
      object_schema(
          "find_versions",
          {required_string("project_id", "The project whose history to look at."),
           optional_string("field_name", "Which field: \"docs\", \"features\", \"data\" or "
                                         "\"prd\"."),
           optional_integer("version_number", "Return this version in full; needs "
                                              "field_name."),
           integer_with_default("page", 1, "Which page of the list to return, from 1."),
           integer_with_default("per_page", 10, "How many versions per page.")}),
      true,
      [api = ApiClient(backend, options.api, "find_versions")](const json& arguments,
                                                             ToolContext&) {
        return run_structured(api, "list versions", nullptr,
                              [&] { return find_versions(api, Args(arguments)); });
      }));

  registry.add(make_tool(
      "manage_version", "Create or restore a version",
      "Save or restore a snapshot of one JSON field of a project (docs, features, data, prd), "
      "chosen by action. \"create\" stores content as a new version of field_name, with an "
      "optional change_summary, document_id and created_by; Archon's server accepts a JSON "
      "object as content. A docs version holds the whole list of documents as {\"docs\": "
      "[...]}: that list is what a restore puts back (the embedded store refuses other docs "
      "content). \"restore\" puts version version_number of field_name back into the project "
      "(find it with find_versions).",
      object_schema(
          "manage_version",
          {required_string("action", "What to do: \"create\" or \"restore\"."),
           required_string("project_id", "The project the field belongs to."),
           required_string("field_name", "Which field: \"docs\", \"features\", \"data\" or "
                                         "\"prd\"."),
           optional_integer("version_number", "The version to restore; required to restore."),
           optional_any_of("content",
                           {object_type, json{{"type", "array"}, {"items", object_type}}},
                           "The snapshot to store; required to create."),
           optional_string("change_summary", "What changed in this version, in a sentence."),
           optional_string("document_id", "The document this version is about, if it is about "
                                          "one."),
           string_with_default("created_by", "system", "Who made the change.")}),
      false,
      [api = ApiClient(backend, options.api, "manage_version")](const json& arguments,
                                                              ToolContext&) {
        const Args args(arguments);
        std::string action;
        try {
          action = args.str("action").value_or("");
        } catch (const ArgumentError&) {
        }
        return run_structured(api, action + " version", nullptr, [&] {
          return manage_version(api, args, args.required_str("action"));
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
