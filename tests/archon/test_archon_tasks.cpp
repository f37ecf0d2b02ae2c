// find_tasks and manage_task: routing to the right endpoint with the right query, response
// normalisation, trimming, validation, and the fixed quirks (total_count from pagination,
// client-side assignee filter, status honoured on create, no URL in list errors).
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

json task(const std::string& id, const std::string& assignee = "User",
          const std::string& status = "todo") {
  return json{{"id", id}, {"title", "Task " + id}, {"assignee", assignee}, {"status", status}};
}

const Query base_query{{"page", "1"}, {"per_page", "10"}, {"exclude_large_fields", "true"}};

Query with(Query q, const Query& more) {
  q.insert(q.end(), more.begin(), more.end());
  return q;
}

json paged(const json& tasks, int total, int page = 1, int per_page = 10) {
  return json{{"tasks", tasks},
              {"pagination",
               {{"total", total}, {"page", page}, {"per_page", per_page},
                {"pages", (total + per_page - 1) / per_page}}}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// find_tasks: single task

TEST_CASE("find_tasks with task_id: GET /api/tasks/{id}, the full task") {
  ToolHarness h;
  json full = task("t-1");
  full["description"] = std::string(2000, 'd');
  full["sources"] = json::array({{{"url", "u"}}});
  h.backend->answer_json(200, full);
  CHECK(h.call("find_tasks", {{"task_id", "t-1"}, {"filter_by", "status"}}) ==
        json{{"success", true}, {"task", full}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/tasks/t-1")}));
}

// ---------------------------------------------------------------------------------------------
// find_tasks: routing

TEST_CASE("find_tasks routes filters to Archon's endpoints with Archon's query parameters") {
  struct Case {
    const char* name;
    json arguments;
    json expected_call;
  };
  const std::vector<Case> cases{
      {"no filters", json::object(),
       call("GET", "/api/tasks", with(base_query, {{"include_closed", "true"}}))},
      {"query and paging", {{"query", "auth bug"}, {"page", 2}, {"per_page", 5},
                            {"include_closed", false}},
       call("GET", "/api/tasks",
            {{"page", "2"}, {"per_page", "5"}, {"exclude_large_fields", "true"},
             {"q", "auth bug"}, {"include_closed", "false"}})},
      {"project_id", {{"project_id", "p-1"}},
       call("GET", "/api/tasks",
            with(base_query, {{"project_id", "p-1"}, {"include_closed", "true"}}))},
      {"status", {{"filter_by", "status"}, {"filter_value", "doing"}},
       call("GET", "/api/tasks",
            with(base_query, {{"status", "doing"}, {"include_closed", "true"}}))},
      {"status + project_id", {{"filter_by", "status"}, {"filter_value", "todo"},
                               {"project_id", "p-1"}, {"query", "x"}},
       call("GET", "/api/tasks",
            with(base_query, {{"q", "x"}, {"status", "todo"}, {"include_closed", "true"},
                              {"project_id", "p-1"}}))},
      {"project filter", {{"filter_by", "project"}, {"filter_value", "p-2"},
                          {"project_id", "ignored"}},
       call("GET", "/api/projects/p-2/tasks", with(base_query, {{"include_archived", "false"}}))},
      {"filter_by without a value falls through", {{"filter_by", "status"}},
       call("GET", "/api/tasks", with(base_query, {{"include_closed", "true"}}))},
      {"unknown filter_by falls through to project_id",
       {{"filter_by", "priority"}, {"filter_value", "high"}, {"project_id", "p-1"}},
       call("GET", "/api/tasks",
            with(base_query, {{"project_id", "p-1"}, {"include_closed", "true"}}))},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ToolHarness h;
    h.backend->answer_json(200, paged(json::array(), 0));
    (void)h.call("find_tasks", c.arguments);
    CHECK(h.backend->call_log() == json::array({c.expected_call}));
  }
}

// ---------------------------------------------------------------------------------------------
// find_tasks: responses

TEST_CASE("find_tasks: paged answer, total_count from pagination.total, tasks trimmed") {
  ToolHarness h;
  json t1 = task("t-1");
  t1["description"] = std::string(1003, 'a');
  t1["sources"] = json::array({1, 2});
  t1["code_examples"] = json::array({1});
  t1["stats"] = {{"sources_count", 2}};
  const json t2 = task("t-2");
  h.backend->answer_json(200, paged({t1, t2}, 42));

  json t1_trimmed = task("t-1");
  t1_trimmed["description"] = std::string(997, 'a') + "...";
  t1_trimmed["sources_count"] = 2;
  t1_trimmed["code_examples_count"] = 1;
  t1_trimmed["stats"] = {{"sources_count", 2}};
  CHECK(h.call("find_tasks", {{"query", "a"}}) == json{{"success", true},
                                                       {"tasks", {t1_trimmed, t2}},
                                                       {"total_count", 42},
                                                       {"count", 2},
                                                       {"query", "a"}});
}

TEST_CASE("find_tasks: the other answer shapes") {
  const json tasks = json::array({task("t-1"), task("t-2"), task("t-3")});
  struct Case {
    const char* name;
    json body;
    json total_count;
  };
  const std::vector<Case> cases{
      {"bare list (project endpoint)", tasks, 3},
      {"tasks + total_count", {{"tasks", tasks}, {"total_count", 9}}, 9},
      {"tasks only", {{"tasks", tasks}}, 3},
      {"data + total", {{"data", tasks}, {"total", 7}}, 7},
      {"data only", {{"data", tasks}}, 3},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ToolHarness h;
    h.backend->answer_json(200, c.body);
    CHECK(h.call("find_tasks") == json{{"success", true},
                                       {"tasks", tasks},
                                       {"total_count", c.total_count},
                                       {"count", 3},
                                       {"query", nullptr}});
  }
}

TEST_CASE("find_tasks: unexpected answers are invalid_response") {
  SUBCASE("an object without tasks or data") {
    ToolHarness h;
    h.backend->answer_json(200, {{"items", json::array()}, {"count", 0}});
    CHECK(h.call("find_tasks") == error_envelope("invalid_response",
                                                 "Unexpected response format from API",
                                                 json{{"response_keys", {"count", "items"}}}));
  }
  SUBCASE("neither an object nor a list") {
    ToolHarness h;
    h.backend->answer_json(200, "tasks");
    CHECK(h.call("find_tasks") == error_envelope("invalid_response",
                                                 "Invalid response type from API",
                                                 json{{"response_type", "str"}}));
  }
}

TEST_CASE("find_tasks: a backend error is reported as such, without the backend's URL") {
  ToolHarness h;
  h.backend->answer_json(500, {{"detail", {{"error", "relation archon_tasks missing"}}}});
  const json result = h.call("find_tasks", {{"project_id", "p-1"}});
  CHECK(result == error_envelope("api_error",
                                 "Failed to list tasks: relation archon_tasks missing",
                                 json{{"response_body",
                                       {{"detail", {{"error", "relation archon_tasks missing"}}}}}},
                                 "Server error. Check server logs for details", 500));
  CHECK(result.dump().find("http://") == std::string::npos);
  CHECK(result.dump().find("recording-backend") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// find_tasks: assignee

TEST_CASE("find_tasks assignee: every page is read, then filtered and paged here") {
  ToolHarness h;
  json page1 = json::array();
  for (int i = 1; i <= 100; ++i)
    page1.push_back(task("a" + std::to_string(i), i % 10 == 0 ? "Coding Agent" : "User"));
  const json page2 = json::array({task("b1", "coding agent"), task("b2", "User")});
  h.backend->answer_json(200, paged(page1, 102, 1, 100));
  h.backend->answer_json(200, paged(page2, 102, 2, 100));

  const json result = h.call("find_tasks", {{"filter_by", "assignee"},
                                            {"filter_value", "Coding Agent"},
                                            {"project_id", "p-1"},
                                            {"page", 2},
                                            {"per_page", 4}});
  // 11 matches (a10..a100 and b1, case-insensitive); page 2 of 4 = matches 5..8.
  CHECK(result == json{{"success", true},
                       {"tasks",
                        {task("a50", "Coding Agent"), task("a60", "Coding Agent"),
                         task("a70", "Coding Agent"), task("a80", "Coding Agent")}},
                       {"total_count", 11},
                       {"count", 4},
                       {"query", nullptr}});
  const Query scan_tail{{"exclude_large_fields", "true"},
                        {"assignee", "Coding Agent"},
                        {"include_closed", "true"},
                        {"project_id", "p-1"}};
  CHECK(h.backend->call_log() ==
        json::array({call("GET", "/api/tasks", with({{"page", "1"}, {"per_page", "100"}}, scan_tail)),
                     call("GET", "/api/tasks", with({{"page", "2"}, {"per_page", "100"}}, scan_tail))}));
}

TEST_CASE("find_tasks assignee: a single short page, query passed on") {
  ToolHarness h;
  h.backend->answer_json(200, {{"tasks", {task("t-1", "Archon"), task("t-2", "User")}}});
  CHECK(h.call("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "archon"},
                              {"query", "x"}, {"include_closed", false}}) ==
        json{{"success", true},
             {"tasks", {task("t-1", "Archon")}},
             {"total_count", 1},
             {"count", 1},
             {"query", "x"}});
  CHECK(h.backend->call_log() ==
        json::array({call("GET", "/api/tasks",
                          {{"page", "1"}, {"per_page", "100"}, {"exclude_large_fields", "true"},
                           {"q", "x"}, {"assignee", "archon"}, {"include_closed", "false"}})}));
}

TEST_CASE("find_tasks assignee: names match case-insensitively across Unicode") {
  ToolHarness h;
  h.backend->answer_json(200, {{"tasks", {task("t-1", "Agent Ödön"), task("t-2", "AGENT ÖDÖN"),
                                          task("t-3", "Agent Odon"), task("t-4", "ΣΊΣΥΦΟΣ")}}});
  const json by_name = h.call("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "agent ödön"}});
  CHECK(by_name["tasks"] == json::array({task("t-1", "Agent Ödön"), task("t-2", "AGENT ÖDÖN")}));
  CHECK(by_name["total_count"] == 2);
  h.backend->answer_json(200, {{"tasks", {task("t-4", "ΣΊΣΥΦΟΣ"), task("t-5", "User")}}});
  const json greek = h.call("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "σίσυφος"}});
  CHECK(greek["tasks"] == json::array({task("t-4", "ΣΊΣΥΦΟΣ")}));
}

TEST_CASE("find_tasks assignee: an error on a later page is reported") {
  ToolHarness h;
  json full = json::array();
  for (int i = 0; i < 100; ++i) full.push_back(task("t" + std::to_string(i)));
  h.backend->answer_json(200, {{"tasks", full}});  // no pagination: a full page means "more"
  h.backend->fail(Kind::connection_error, "Connection reset");
  const json result = h.call("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "User"}});
  CHECK(result["error"]["type"] == "connection_error");
  CHECK(result["error"]["details"]["context"] ==
        json{{"filter_by", "assignee"}, {"filter_value", "User"}});
  CHECK(h.backend->calls().size() == 2);
}

// ---------------------------------------------------------------------------------------------
// manage_task create

TEST_CASE("manage_task create: POST /api/tasks with Archon's defaults") {
  ToolHarness h;
  json created = task("t-9");
  created["description"] = std::string(1001, 'q');
  created["sources"] = json::array();
  h.backend->answer_json(200, {{"message", "Task created"}, {"task", created}});
  json trimmed = task("t-9");
  trimmed["description"] = std::string(997, 'q') + "...";
  trimmed["sources_count"] = 0;
  CHECK(h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"}, {"title", "Fix"}}) ==
        json{{"success", true},
             {"task", trimmed},
             {"task_id", "t-9"},
             {"message", "Task created"}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/tasks", {},
                          {{"project_id", "p-1"}, {"title", "Fix"}, {"description", ""},
                           {"assignee", "User"}, {"task_order", 0}, {"feature", nullptr},
                           {"sources", json::array()}, {"code_examples", json::array()}})}));
}

TEST_CASE("manage_task create: every field given; status todo needs no second call") {
  ToolHarness h;
  h.backend->answer_json(200, {{"task", task("t-9", "Archon")}});
  CHECK(h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"}, {"title", "Fix"},
                               {"description", "why"}, {"assignee", "Archon"},
                               {"task_order", 50}, {"feature", "auth"}, {"status", "todo"}}) ==
        json{{"success", true},
             {"task", task("t-9", "Archon")},
             {"task_id", "t-9"},
             {"message", "Task created successfully"}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/tasks", {},
                          {{"project_id", "p-1"}, {"title", "Fix"}, {"description", "why"},
                           {"assignee", "Archon"}, {"task_order", 50}, {"feature", "auth"},
                           {"sources", json::array()}, {"code_examples", json::array()}})}));
}

TEST_CASE("manage_task create with a status: POST, then PUT the status") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Task created"}, {"task", task("t-9")}});
  h.backend->answer_json(200, {{"message", "Task updated"}, {"task", task("t-9", "User", "doing")}});
  CHECK(h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"}, {"title", "Fix"},
                               {"status", "doing"}}) ==
        json{{"success", true},
             {"task", task("t-9", "User", "doing")},
             {"task_id", "t-9"},
             {"message", "Task created"}});
  const json log = h.backend->call_log();
  REQUIRE(log.size() == 2);
  CHECK(log[0]["method"] == "POST");
  CHECK(log[1] == call("PUT", "/api/tasks/t-9", {}, {{"status", "doing"}}));
}

TEST_CASE("manage_task create with a status: failures of the follow-up PUT name the new task") {
  SUBCASE("HTTP error") {
    ToolHarness h;
    h.backend->answer_json(200, {{"task", task("t-9")}});
    h.backend->answer_json(500, {{"detail", {{"error", "db"}}}});
    CHECK(h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"}, {"title", "Fix"},
                                 {"status", "review"}}) ==
          error_envelope("api_error",
                         "Failed to set the status of new task t-9 (created as todo): db",
                         json{{"response_body", {{"detail", {{"error", "db"}}}}},
                              {"task_id", "t-9"}},
                         "Server error. Check server logs for details", 500));
  }
  SUBCASE("transport error") {
    ToolHarness h;
    h.backend->answer_json(200, {{"task", task("t-9")}});
    h.backend->fail(Kind::read_timeout);
    CHECK(h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"}, {"title", "Fix"},
                                 {"status", "done"}}) ==
          error_envelope("read_timeout",
                         "Failed to set the status of new task t-9 (created as todo): the Archon "
                         "API did not answer within 2 s (read timeout)",
                         json{{"exception_type", "ReadTimeout"},
                              {"exception_message",
                               "the Archon API did not answer within 2 s (read timeout)"},
                              {"context", {{"task_id", "t-9"}}}},
                         "The operation is taking longer than expected. Try again or check "
                         "server logs"));
  }
  SUBCASE("no task id in the POST answer") {
    ToolHarness h;
    h.backend->answer_json(200, {{"message", "ok"}});
    const json result = h.call("manage_task", {{"action", "create"}, {"project_id", "p-1"},
                                               {"title", "Fix"}, {"status", "doing"}});
    CHECK(result["error"]["type"] == "invalid_response");
    CHECK(h.backend->calls().size() == 1);
  }
}

TEST_CASE("manage_task create: validation before any call") {
  struct Case {
    json arguments;
    json expected;
  };
  const json missing = error_envelope("validation_error", "project_id and title required for create",
                                      nullptr, "Provide both project_id and title");
  const std::vector<Case> cases{
      {{{"action", "create"}, {"title", "T"}}, missing},
      {{{"action", "create"}, {"project_id", "p-1"}}, missing},
      {{{"action", "create"}, {"project_id", "p-1"}, {"title", ""}}, missing},
      {{{"action", "create"}, {"project_id", "p-1"}, {"title", "T"}, {"status", "blocked"}},
       error_envelope("validation_error",
                      "Invalid status 'blocked'. Must be one of: todo, doing, review, done",
                      nullptr, "Use todo, doing, review or done")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    CHECK(h.call("manage_task", c.arguments) == c.expected);
    CHECK(h.backend->calls().empty());
  }
}

// ---------------------------------------------------------------------------------------------
// manage_task update / delete / other actions

TEST_CASE("manage_task update: PUT only the fields given (including empty and 0)") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Task updated"}, {"task", task("t-1", "Archon", "review")}});
  CHECK(h.call("manage_task", {{"action", "update"}, {"task_id", "t-1"}, {"status", "review"},
                               {"assignee", "Archon"}, {"task_order", 0}, {"description", ""},
                               {"title", nullptr}}) ==
        json{{"success", true},
             {"task", task("t-1", "Archon", "review")},
             {"message", "Task updated"}});
  CHECK(h.backend->call_log() ==
        json::array({call("PUT", "/api/tasks/t-1", {},
                          {{"status", "review"}, {"assignee", "Archon"}, {"task_order", 0},
                           {"description", ""}})}));
}

TEST_CASE("manage_task update: every updatable field, and the default message") {
  ToolHarness h;
  h.backend->answer_json(200, {{"task", nullptr}});
  CHECK(h.call("manage_task", {{"action", "update"}, {"task_id", "t-1"}, {"title", "T"},
                               {"description", "D"}, {"status", "done"}, {"assignee", "User"},
                               {"task_order", 7}, {"feature", "F"}}) ==
        json{{"success", true}, {"task", nullptr}, {"message", "Task updated successfully"}});
  CHECK(h.backend->calls()[0].body == json{{"title", "T"}, {"description", "D"}, {"status", "done"},
                                           {"assignee", "User"}, {"task_order", 7},
                                           {"feature", "F"}});
}

TEST_CASE("manage_task update/delete: validation before any call") {
  struct Case {
    json arguments;
    std::string message, suggestion;
  };
  const std::vector<Case> cases{
      {{{"action", "update"}, {"status", "doing"}}, "task_id required for update",
       "Provide task_id to update"},
      {{{"action", "update"}, {"task_id", "t-1"}}, "No fields to update",
       "Provide at least one field to update"},
      {{{"action", "update"}, {"task_id", "t-1"}, {"project_id", "p-1"}}, "No fields to update",
       "Provide at least one field to update"},
      {{{"action", "delete"}}, "task_id required for delete", "Provide task_id to delete"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    CHECK(h.call("manage_task", c.arguments) ==
          error_envelope("validation_error", c.message, nullptr, c.suggestion));
    CHECK(h.backend->calls().empty());
  }
}

TEST_CASE("manage_task delete: DELETE /api/tasks/{id}") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Task t-1 archived"}});
  CHECK(h.call("manage_task", {{"action", "delete"}, {"task_id", "t-1"}}) ==
        json{{"success", true}, {"message", "Task t-1 archived"}});
  CHECK(h.backend->call_log() == json::array({call("DELETE", "/api/tasks/t-1")}));
}

TEST_CASE("manage_task: an unknown action is invalid_action with the valid ones") {
  ToolHarness h;
  CHECK(h.call("manage_task", {{"action", "list"}}) ==
        error_envelope("invalid_action", "Unknown action: list", nullptr,
                       "Use 'create', 'update', or 'delete'"));
  CHECK(h.backend->calls().empty());
}

TEST_CASE("manage_task called without the schema check: a wrong type is a validation_error") {
  ToolHarness h;
  const auto* entry = h.registry.find("manage_task");
  const auto result = entry->tool.handler(json{{"action", "update"}, {"task_id", 5}}, h.context);
  CHECK(json::parse(result.content[0]["text"].get<std::string>()) ==
        error_envelope("validation_error", "task_id must be a string", nullptr,
                       "Check that all input parameters are valid"));
}
