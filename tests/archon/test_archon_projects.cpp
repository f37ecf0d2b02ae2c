// find_projects, manage_project and get_project_features: REST calls, client-side filtering,
// pagination and trimming, success payloads, validation, and the fixed quirks.
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

json project(const std::string& id, const std::string& title, json description) {
  return json{{"id", id}, {"title", title}, {"description", std::move(description)}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// find_projects

TEST_CASE("find_projects with project_id: GET /api/projects/{id}, the full project") {
  ToolHarness h;
  json full = project("p-1", "Auth", std::string(3000, 'd'));
  full["features"] = json::array({1, 2, 3, 4, 5});
  h.backend->answer_json(200, full);
  CHECK(h.call("find_projects", {{"project_id", "p-1"}}) ==
        json{{"success", true}, {"project", full}});  // not trimmed
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1")}));
}

TEST_CASE("find_projects list: GET /api/projects, trimmed entries and the page metadata") {
  ToolHarness h;
  json big = project("p-1", "Auth", std::string(1200, 'x'));
  big["features"] = json::array({"a", "b", "c", "d"});
  big["docs"] = json::array({{{"id", "d1"}}});
  const json small = project("p-2", "Billing", "short");
  h.backend->answer_json(200, {{"projects", {big, small}}, {"count", 2}});

  json trimmed = big;
  trimmed["description"] = std::string(997, 'x') + "...";
  trimmed["features"] = json::array({"a", "b", "c"});
  trimmed["features_count"] = 4;
  CHECK(h.call("find_projects") == json{{"success", true},
                                        {"projects", {trimmed, small}},
                                        {"count", 2},
                                        {"total", 2},
                                        {"page", 1},
                                        {"per_page", 10},
                                        {"query", nullptr}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects")}));
}

TEST_CASE("find_projects list: query matches title or description, case-insensitively") {
  ToolHarness h;
  const json projects = json::array({project("p-1", "Auth Service", "login"),
                                     project("p-2", "Billing", "Handles AUTH tokens"),
                                     project("p-3", "Docs", "site"),
                                     // Archon crashes on a null description; here it just
                                     // does not match.
                                     project("p-4", "Misc", nullptr)});
  h.backend->answer_json(200, {{"projects", projects}});
  const json result = h.call("find_projects", {{"query", "auth"}});
  CHECK(result == json{{"success", true},
                       {"projects", {projects[0], projects[1]}},
                       {"count", 2},
                       {"total", 2},
                       {"page", 1},
                       {"per_page", 10},
                       {"query", "auth"}});
}

TEST_CASE("find_projects list: query matches case-insensitively across Unicode, as Python's lower()") {
  ToolHarness h;
  const json projects = json::array({project("p-1", "über-långa rader", "x"),
                                     project("p-2", "Mythen", "Der Stein des ΣΊΣΥΦΟΣ"),
                                     project("p-3", "Straße", "y"),
                                     project("p-4", "Other", "z")});
  struct Case {
    std::string query;
    std::vector<std::string> ids;
  };
  for (const auto& c : std::vector<Case>{{"ÜBER-LÅNGA", {"p-1"}},
                                         {"σίσυφος", {"p-2"}},
                                         {"STRASSE", {"p-3"}},  // full folding: ß is ss
                                         {"50%_", {}}}) {
    CAPTURE(c.query);
    h.backend->answer_json(200, {{"projects", projects}});
    const json result = h.call("find_projects", {{"query", c.query}});
    std::vector<std::string> ids;
    for (const auto& p : result["projects"]) ids.push_back(p["id"]);
    CHECK(ids == c.ids);
    CHECK(result["total"] == c.ids.size());
  }
}

TEST_CASE("find_projects list: client-side pages") {
  json projects = json::array();
  for (int i = 1; i <= 5; ++i)
    projects.push_back(project("p-" + std::to_string(i), "P" + std::to_string(i), "d"));
  struct Case {
    int page, per_page;
    std::vector<int> ids;
  };
  for (const auto& c : std::vector<Case>{{1, 2, {1, 2}}, {3, 2, {5}}, {4, 2, {}}, {2, 10, {}}}) {
    CAPTURE(c.page);
    ToolHarness h;
    h.backend->answer_json(200, {{"projects", projects}});
    const json result = h.call("find_projects", {{"page", c.page}, {"per_page", c.per_page}});
    json expected = json::array();
    for (int id : c.ids) expected.push_back(projects[id - 1]);
    CHECK(result["projects"] == expected);
    CHECK(result["count"] == c.ids.size());
    CHECK(result["total"] == 5);
    CHECK(result["page"] == c.page);
    CHECK(result["per_page"] == c.per_page);
  }
}

TEST_CASE("find_projects: an empty project_id lists instead (Python truthiness)") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("find_projects", {{"project_id", ""}})["projects"] == json::array());
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects")}));
}

TEST_CASE("find_projects list: JSON that is not an object is invalid_response") {
  ToolHarness h;
  h.backend->answer_json(200, json::array());
  CHECK(h.call("find_projects") ==
        error_envelope("invalid_response",
                       "Failed to list projects: the Archon API answered HTTP 200 with JSON "
                       "that is not an object",
                       json{{"response_type", "array"}},
                       "Check that the configured backend URL points at the Archon API server",
                       200));
}

// ---------------------------------------------------------------------------------------------
// manage_project create

TEST_CASE("manage_project create: POST /api/projects and the trimmed project") {
  ToolHarness h;
  json created = project("p-7", "Auth", std::string(1001, 'y'));
  h.backend->answer_json(200, {{"project_id", "p-7"},
                               {"project", created},
                               {"status", "completed"},
                               {"message", "Project created"}});
  json trimmed = created;
  trimmed["description"] = std::string(997, 'y') + "...";
  CHECK(h.call("manage_project", {{"action", "create"}, {"title", "Auth"},
                                  {"description", "long"}, {"github_repo", "https://g/r"}}) ==
        json{{"success", true},
             {"project", trimmed},
             {"project_id", "p-7"},
             {"message", "Project created"}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/projects", {},
                          {{"title", "Auth"}, {"description", "long"},
                           {"github_repo", "https://g/r"}})}));
}

TEST_CASE("manage_project create: a body without project (or with project null) does not crash") {
  for (const json& body : {json{{"message", "ok"}}, json{{"project", nullptr}}}) {
    CAPTURE(body.dump());
    ToolHarness h;
    h.backend->answer_json(200, body);
    CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
          json{{"success", true},
               {"project", json::object()},
               {"project_id", nullptr},
               {"message", body.value("message", "Project created successfully")}});
  }
}

TEST_CASE("manage_project create: title required") {
  for (const json& args : {json{{"action", "create"}}, json{{"action", "create"}, {"title", ""}}}) {
    ToolHarness h;
    CHECK(h.call("manage_project", args) ==
          error_envelope("validation_error", "title required for create"));
    CHECK(h.backend->calls().empty());
  }
}

TEST_CASE("manage_project create: asynchronous creation is polled until completed") {
  ToolHarness h;  // polling: 3 attempts, no delay
  h.backend->answer_json(200, {{"progress_id", "prog-1"}});
  h.backend->answer_json(200, {{"status", "running"}});
  h.backend->answer_text(404, "not yet");  // non-2xx polls are ignored
  h.backend->answer_json(200, {{"status", "completed"},
                               {"result", {{"project", project("p-3", "T", "d")},
                                           {"message", "made"}}}});
  CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
        json{{"success", true},
             {"project", project("p-3", "T", "d")},
             {"project_id", "p-3"},
             {"message", "made"}});
  const auto calls = h.backend->calls();
  REQUIRE(calls.size() == 4);
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(calls[i].describe() == call("GET", "/api/progress/prog-1"));
    REQUIRE(calls[i].timeouts.has_value());
    CHECK(calls[i].timeouts->read == 8s);  // the polling timeouts
  }
}

TEST_CASE("manage_project create: asynchronous creation that fails or never finishes") {
  SUBCASE("failed") {
    ToolHarness h;
    h.backend->answer_json(200, {{"progress_id", "prog-1"}});
    h.backend->answer_json(200, {{"status", "failed"},
                                 {"error", "LLM quota exceeded"},
                                 {"details", {{"step", "docs"}}}});
    CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
          error_envelope("creation_failed", "LLM quota exceeded", json{{"step", "docs"}}));
  }
  SUBCASE("still running after every attempt") {
    ToolHarness h;
    h.backend->answer_json(200, {{"progress_id", "prog-1"}});
    h.backend->respond_with([](const RecordedCall&) { return json_response(200, {{"status", "running"}}); });
    CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
          error_envelope("timeout", "Project creation timed out after maximum attempts",
                         json{{"progress_id", "prog-1"}}));
    CHECK(h.backend->calls().size() == 4);
  }
  SUBCASE("the last poll fails to connect") {
    ToolHarness h;
    h.backend->answer_json(200, {{"progress_id", "prog-1"}});
    h.backend->fail(Kind::connection_error, "refused");  // retried
    h.backend->answer_json(200, {{"status", "running"}});
    h.backend->fail(Kind::read_timeout);
    CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
          error_envelope("timeout", "Project creation timed out", nullptr,
                         "Check project status manually"));
  }
  SUBCASE("the client cancels while waiting") {
    auto options = test_options();
    options.project_polling.base_interval = 10s;
    options.project_polling.max_interval = 10s;
    ToolHarness h(options);
    h.backend->answer([&h](const RecordedCall&) {
      h.context.cancel = true;
      return json_response(200, {{"progress_id", "prog-1"}});
    });
    const auto start = std::chrono::steady_clock::now();
    CHECK(h.call("manage_project", {{"action", "create"}, {"title", "T"}}) ==
          error_envelope("cancelled", "Project creation polling was cancelled",
                         json{{"progress_id", "prog-1"}}, "Check project status manually"));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(h.backend->calls().size() == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// manage_project update / delete / other actions

TEST_CASE("manage_project update: only the given fields; the bare project the backend returns") {
  ToolHarness h;
  json updated = project("p-1", "New title", std::string(1500, 'z'));
  updated["features"] = json::array({1, 2});
  h.backend->answer_json(200, updated);  // Archon's backend: the project itself, not wrapped
  json trimmed = updated;
  trimmed["description"] = std::string(997, 'z') + "...";
  trimmed["features_count"] = 2;
  CHECK(h.call("manage_project", {{"action", "update"}, {"project_id", "p-1"},
                                  {"title", "New title"}, {"description", ""},
                                  {"github_repo", nullptr}}) ==
        json{{"success", true}, {"project", trimmed}, {"message", "Project updated successfully"}});
  CHECK(h.backend->call_log() ==
        json::array({call("PUT", "/api/projects/p-1", {},
                          {{"title", "New title"}, {"description", ""}})}));
}

TEST_CASE("manage_project update: a wrapped {project, message} answer is accepted too") {
  ToolHarness h;
  h.backend->answer_json(200, {{"project", project("p-1", "T", "d")}, {"message", "Updated!"}});
  CHECK(h.call("manage_project", {{"action", "update"}, {"project_id", "p-1"},
                                  {"github_repo", "https://g/r"}}) ==
        json{{"success", true}, {"project", project("p-1", "T", "d")}, {"message", "Updated!"}});
  CHECK(h.backend->calls()[0].body == json{{"github_repo", "https://g/r"}});
}

TEST_CASE("manage_project update/delete: validation before any call") {
  struct Case {
    json arguments;
    std::string message;
  };
  const std::vector<Case> cases{
      {{{"action", "update"}, {"title", "x"}}, "project_id required for update"},
      {{{"action", "update"}, {"project_id", ""}, {"title", "x"}}, "project_id required for update"},
      {{{"action", "update"}, {"project_id", "p-1"}}, "No fields to update"},
      {{{"action", "delete"}}, "project_id required for delete"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    CHECK(h.call("manage_project", c.arguments) == error_envelope("validation_error", c.message));
    CHECK(h.backend->calls().empty());
  }
}

TEST_CASE("manage_project delete: DELETE /api/projects/{id} and the backend's message") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Project deleted"}, {"deleted_tasks", 4}});
  CHECK(h.call("manage_project", {{"action", "delete"}, {"project_id", "p-1"}}) ==
        json{{"success", true}, {"message", "Project deleted"}});
  CHECK(h.backend->call_log() == json::array({call("DELETE", "/api/projects/p-1")}));

  ToolHarness h2;
  h2.backend->answer_json(200, json::object());
  CHECK(h2.call("manage_project", {{"action", "delete"}, {"project_id", "p-1"}}) ==
        json{{"success", true}, {"message", "Project deleted successfully"}});
}

TEST_CASE("manage_project: an unknown action is invalid_action") {
  ToolHarness h;
  CHECK(h.call("manage_project", {{"action", "archive"}, {"project_id", "p-1"}}) ==
        error_envelope("invalid_action", "Unknown action: archive"));
  CHECK(h.backend->calls().empty());
}

// ---------------------------------------------------------------------------------------------
// get_project_features

TEST_CASE("get_project_features: GET /api/projects/{id}/features, features and count") {
  ToolHarness h;
  const json features = json::array({{{"name", "auth"}, {"status", "done"}}, {{"name", "api"}}});
  h.backend->answer_json(200, {{"features", features}, {"count", 2}, {"project_id", "p-1"}});
  CHECK(h.call("get_project_features", {{"project_id", "p-1"}}) ==
        json{{"success", true}, {"features", features}, {"count", 2}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1/features")}));
}

TEST_CASE("get_project_features: no features yet") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("get_project_features", {{"project_id", "p-1"}}) ==
        json{{"success", true}, {"features", json::array()}, {"count", 0}});
}
