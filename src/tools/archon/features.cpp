// get_project_features.
#include "tool_support.hpp"

namespace mcpgate::tools::archon::detail {

void register_feature_tools(ToolRegistry& registry,
                            const std::shared_ptr<backend::Backend>& backend,
                            const ArchonToolOptions& options) {
  registry.add(make_tool(
      "get_project_features", "Get project features",
      "Return the features recorded for an Archon project: the free-form entries of its "
      "features field (for example {\"name\": \"auth\", \"status\": \"done\"}), with their count. "
      "An empty list means none are recorded yet. Use it to see what a project already covers "
      "before planning tasks.",
      object_schema("get_project_features",
                    {required_string("project_id", "The project whose features to return.")}),
      true,
      [api = ApiClient(backend, options.api, "get_project_features")](const json& arguments,
                                                                    ToolContext&) {
        const Args args(arguments);
        json transport_context{{"project_id", nullptr}};
        try {
          transport_context["project_id"] = or_null(args.str("project_id"));
        } catch (const ArgumentError&) {
        }
        return run_structured(api, "get project features", transport_context, [&] {
          const std::string project_id = args.required_str("project_id");
          const auto response =
              api.get("/api/projects/" + path_segment(project_id, "project_id") + "/features");
          if (response.status == 404)
            return errors::not_found("Project " + project_id + " not found",
                                     "Verify the project ID is correct");
          if (!response.ok()) return errors::from_http_error(response, "get project features");
          const json& body = object_body(response, "get project features");
          json features = get_or(body, "features", json::array());
          const std::size_t count = features.is_array() ? features.size() : 0;
          return json{{"success", true}, {"features", std::move(features)}, {"count", count}};
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
