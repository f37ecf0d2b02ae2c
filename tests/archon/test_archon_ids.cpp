// Ids that would change the route: "", ".", ".." and other ids made only of dots. '.' is an
// unreserved URL character, so percent-encoding leaves it alone, and libcurl removes "." and
// ".." segments ("/api/projects/../features" is sent as "/api/features"); an empty id makes
// "/a//b". Every tool that puts an id in a URL path refuses them before calling the backend.
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

// One tool call with `id` in the place named by `where` (the call's arguments as a function
// of the id).
struct IdUse {
  std::string tool;
  std::string parameter;
  std::function<json(const std::string&)> arguments;
};

std::vector<IdUse> id_uses() {
  return {
      {"find_projects", "project_id", [](const std::string& id) { return json{{"project_id", id}}; }},
      {"manage_project", "project_id",
       [](const std::string& id) {
         return json{{"action", "update"}, {"project_id", id}, {"title", "t"}};
       }},
      {"manage_project", "project_id",
       [](const std::string& id) { return json{{"action", "delete"}, {"project_id", id}}; }},
      {"find_tasks", "task_id", [](const std::string& id) { return json{{"task_id", id}}; }},
      {"find_tasks", "filter_value",
       [](const std::string& id) { return json{{"filter_by", "project"}, {"filter_value", id}}; }},
      {"manage_task", "task_id",
       [](const std::string& id) {
         return json{{"action", "update"}, {"task_id", id}, {"title", "t"}};
       }},
      {"manage_task", "task_id",
       [](const std::string& id) { return json{{"action", "delete"}, {"task_id", id}}; }},
      {"find_documents", "project_id", [](const std::string& id) { return json{{"project_id", id}}; }},
      {"find_documents", "document_id",
       [](const std::string& id) { return json{{"project_id", "p-1"}, {"document_id", id}}; }},
      {"manage_document", "project_id",
       [](const std::string& id) {
         return json{{"action", "create"}, {"project_id", id}, {"title", "t"}, {"document_type", "spec"}};
       }},
      {"manage_document", "document_id",
       [](const std::string& id) {
         return json{{"action", "update"}, {"project_id", "p-1"}, {"document_id", id}, {"title", "t"}};
       }},
      {"manage_document", "document_id",
       [](const std::string& id) {
         return json{{"action", "delete"}, {"project_id", "p-1"}, {"document_id", id}};
       }},
      {"find_versions", "project_id", [](const std::string& id) { return json{{"project_id", id}}; }},
      {"find_versions", "field_name",
       [](const std::string& id) {
         return json{{"project_id", "p-1"}, {"field_name", id}, {"version_number", 1}};
       }},
      {"manage_version", "project_id",
       [](const std::string& id) {
         return json{{"action", "create"}, {"project_id", id}, {"field_name", "docs"},
                     {"content", {{"a", 1}}}};
       }},
      {"manage_version", "field_name",
       [](const std::string& id) {
         return json{{"action", "restore"}, {"project_id", "p-1"}, {"field_name", id},
                     {"version_number", 1}};
       }},
      {"get_project_features", "project_id",
       [](const std::string& id) { return json{{"project_id", id}}; }},
  };
}

// The parameters Archon requires as strings: "" is an id there. Elsewhere an empty string is
// "not given" (Python truthiness) and the tool lists, or says the id is required.
bool empty_is_an_id(const IdUse& use) {
  return (use.parameter == "field_name" && use.tool == "manage_version") ||
         (use.parameter == "project_id" && use.tool != "find_projects" && use.tool != "manage_project");
}

}  // namespace

TEST_CASE("ids made only of dots, or empty, are validation errors before any backend call") {
  for (const IdUse& use : id_uses()) {
    for (const std::string id : {"", ".", "..", "..."}) {
      if (id.empty() && !empty_is_an_id(use)) continue;
      CAPTURE(use.tool);
      CAPTURE(use.arguments(id).dump());
      ToolHarness h;
      h.backend->respond_with([](const RecordedCall&) { return json_response(200, json::object()); });
      const json payload = h.call(use.tool, use.arguments(id));
      CHECK(h.backend->call_log() == json::array());
      CHECK(payload["success"] == false);
      REQUIRE(payload["error"].is_object());
      CHECK(payload["error"]["type"] == "validation_error");
      CHECK(payload["error"]["message"] ==
            "Invalid " + use.parameter + " '" + id + "': an id cannot be empty or only dots");
    }
  }
}

TEST_CASE("rag_read_full_page refuses a page_id of dots in its flat error shape") {
  for (const std::string id : {".", "..", "...."}) {
    ToolHarness h;
    const json payload = h.call("rag_read_full_page", json{{"page_id", id}});
    CHECK(h.backend->call_log() == json::array());
    CHECK(payload == json{{"success", false},
                          {"page", nullptr},
                          {"error", "Invalid page_id '" + id + "': an id cannot be empty or only dots"}});
  }
}

TEST_CASE("ids with dots among other characters are ordinary ids") {
  ToolHarness h;
  h.backend->answer_json(200, json{{"id", "..a"}});
  h.backend->answer_json(200, json{{"id", "v1.2"}});
  h.call("find_projects", json{{"project_id", "..a"}});
  h.call("find_tasks", json{{"task_id", "v1.2"}});
  CHECK(h.backend->call_log() ==
        json::array({call("GET", "/api/projects/..a"), call("GET", "/api/tasks/v1.2")}));
}

TEST_CASE("an id of dots in the backend's own answer is not followed") {
  SUBCASE("a project creation's progress_id") {
    ToolHarness h;
    h.backend->answer_json(200, {{"progress_id", ".."}});
    const json payload = h.call("manage_project", {{"action", "create"}, {"title", "T"}});
    CHECK(h.backend->call_log() ==
          json::array({call("POST", "/api/projects", {},
                            json{{"title", "T"}, {"description", ""}, {"github_repo", nullptr}})}));
    CHECK(payload["error"]["type"] == "invalid_response");
  }
  SUBCASE("a created task's id, when its status is set next") {
    ToolHarness h;
    h.backend->answer_json(200, {{"task", {{"id", "."}, {"status", "todo"}}}});
    const json payload = h.call("manage_task", {{"action", "create"},
                                                {"project_id", "p-1"},
                                                {"title", "T"},
                                                {"status", "doing"}});
    REQUIRE(h.backend->calls().size() == 1);
    CHECK(payload["error"]["type"] == "invalid_response");
  }
}
