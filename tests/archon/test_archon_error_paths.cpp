// The error paths of every structured-error tool and action, table-driven: an HTTP error with
// {"detail": {"error": ...}} (api_error), with a string detail (http_error), with a text body
// (http_error + response_text), each transport failure, and a 2xx body that is not JSON. Plus
// the per-tool timeouts.
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

struct ToolCall {
  const char* label;
  const char* tool;
  json arguments;
  json expected_call;       // the first (here: only) REST call
  std::string http_op;      // "Failed to <op>" for HTTP errors
  std::string transport_op; // ... and for transport failures
  json context;             // details.context for transport failures (null: none)
};

std::vector<ToolCall> tool_calls() {
  const json task_ctx_create{{"task_id", nullptr}, {"project_id", "p-1"}};
  const json task_ctx_t1{{"task_id", "t-1"}, {"project_id", nullptr}};
  return {
      {"find_projects (list)", "find_projects", json::object(), call("GET", "/api/projects"),
       "list projects", "list projects", nullptr},
      {"find_projects (one)", "find_projects", {{"project_id", "p-1"}},
       call("GET", "/api/projects/p-1"), "get project", "list projects", nullptr},
      {"manage_project create", "manage_project", {{"action", "create"}, {"title", "T"}},
       call("POST", "/api/projects", {},
            {{"title", "T"}, {"description", ""}, {"github_repo", nullptr}}),
       "create project", "create project", nullptr},
      {"manage_project update", "manage_project",
       {{"action", "update"}, {"project_id", "p-1"}, {"title", "T2"}},
       call("PUT", "/api/projects/p-1", {}, {{"title", "T2"}}), "update project",
       "update project", nullptr},
      {"manage_project delete", "manage_project", {{"action", "delete"}, {"project_id", "p-1"}},
       call("DELETE", "/api/projects/p-1"), "delete project", "delete project", nullptr},
      {"find_tasks (list)", "find_tasks", {{"filter_by", "status"}, {"filter_value", "todo"}},
       call("GET", "/api/tasks",
            {{"page", "1"}, {"per_page", "10"}, {"exclude_large_fields", "true"},
             {"status", "todo"}, {"include_closed", "true"}}),
       "list tasks", "list tasks", json{{"filter_by", "status"}, {"filter_value", "todo"}}},
      {"find_tasks (one)", "find_tasks", {{"task_id", "t-1"}}, call("GET", "/api/tasks/t-1"),
       "get task", "list tasks", json{{"filter_by", nullptr}, {"filter_value", nullptr}}},
      {"manage_task create", "manage_task",
       {{"action", "create"}, {"project_id", "p-1"}, {"title", "T"}},
       call("POST", "/api/tasks", {},
            {{"project_id", "p-1"}, {"title", "T"}, {"description", ""}, {"assignee", "User"},
             {"task_order", 0}, {"feature", nullptr}, {"sources", json::array()},
             {"code_examples", json::array()}}),
       "create task", "create task", task_ctx_create},
      {"manage_task update", "manage_task",
       {{"action", "update"}, {"task_id", "t-1"}, {"status", "doing"}},
       call("PUT", "/api/tasks/t-1", {}, {{"status", "doing"}}), "update task", "update task",
       task_ctx_t1},
      {"manage_task delete", "manage_task", {{"action", "delete"}, {"task_id", "t-1"}},
       call("DELETE", "/api/tasks/t-1"), "delete task", "delete task", task_ctx_t1},
      {"find_documents (list)", "find_documents", {{"project_id", "p-1"}},
       call("GET", "/api/projects/p-1/docs"), "list documents", "list documents", nullptr},
      {"find_documents (one)", "find_documents", {{"project_id", "p-1"}, {"document_id", "d-1"}},
       call("GET", "/api/projects/p-1/docs/d-1"), "get document", "list documents", nullptr},
      {"manage_document create", "manage_document",
       {{"action", "create"}, {"project_id", "p-1"}, {"title", "Spec"}, {"document_type", "spec"}},
       call("POST", "/api/projects/p-1/docs", {},
            {{"title", "Spec"}, {"document_type", "spec"}, {"content", json::object()},
             {"tags", json::array()}, {"author", "User"}}),
       "create document", "create document", nullptr},
      {"manage_document update", "manage_document",
       {{"action", "update"}, {"project_id", "p-1"}, {"document_id", "d-1"}, {"title", "New"}},
       call("PUT", "/api/projects/p-1/docs/d-1", {}, {{"title", "New"}}), "update document",
       "update document", nullptr},
      {"manage_document delete", "manage_document",
       {{"action", "delete"}, {"project_id", "p-1"}, {"document_id", "d-1"}},
       call("DELETE", "/api/projects/p-1/docs/d-1"), "delete document", "delete document",
       nullptr},
      {"find_versions (list)", "find_versions", {{"project_id", "p-1"}},
       call("GET", "/api/projects/p-1/versions"), "list versions", "list versions", nullptr},
      {"find_versions (one)", "find_versions",
       {{"project_id", "p-1"}, {"field_name", "docs"}, {"version_number", 3}},
       call("GET", "/api/projects/p-1/versions/docs/3"), "get version", "list versions", nullptr},
      {"manage_version create", "manage_version",
       {{"action", "create"}, {"project_id", "p-1"}, {"field_name", "docs"},
        {"content", {{"a", 1}}}},
       call("POST", "/api/projects/p-1/versions", {},
            {{"field_name", "docs"}, {"content", {{"a", 1}}},
             {"change_summary", "No summary provided"}, {"document_id", nullptr},
             {"created_by", "system"}}),
       "create version", "create version", nullptr},
      {"manage_version restore", "manage_version",
       {{"action", "restore"}, {"project_id", "p-1"}, {"field_name", "docs"},
        {"version_number", 2}},
       call("POST", "/api/projects/p-1/versions/docs/2/restore", {}, json::object()),
       "restore version", "restore version", nullptr},
      {"get_project_features", "get_project_features", {{"project_id", "p-1"}},
       call("GET", "/api/projects/p-1/features"), "get project features", "get project features",
       json{{"project_id", "p-1"}}},
  };
}

json transport_details(const std::string& type, const std::string& text, const json& context) {
  json d{{"exception_type", type}, {"exception_message", text}};
  if (!context.is_null()) d["context"] = context;
  return d;
}

}  // namespace

TEST_CASE("HTTP 500 with {detail: {error}} gives api_error with the body and the suggestion") {
  const json body{{"detail", {{"error", "database unavailable"}}}};
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer_json(500, body);
    CHECK(h.call(tc.tool, tc.arguments) ==
          error_envelope("api_error", "Failed to " + tc.http_op + ": database unavailable",
                         json{{"response_body", body}},
                         "Server error. Check server logs for details", 500));
    CHECK(h.backend->call_log() == json::array({tc.expected_call}));
  }
}

TEST_CASE("HTTP 409 with a string detail gives http_error with the response text") {
  const json body{{"detail", "Task is already archived"}};
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer_json(409, body);
    CHECK(h.call(tc.tool, tc.arguments) ==
          error_envelope("http_error", "Failed to " + tc.http_op + ": HTTP 409",
                         json{{"response_text", body.dump()}},
                         "There's a conflict with the current state. The resource may already "
                         "exist",
                         409));
  }
}

TEST_CASE("HTTP 503 with a text body gives http_error with response_text") {
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer_text(503, "upstream connect error");
    CHECK(h.call(tc.tool, tc.arguments) ==
          error_envelope("http_error", "Failed to " + tc.http_op + ": HTTP 503",
                         json{{"response_text", "upstream connect error"}},
                         "Service temporarily unavailable. Try again later", 503));
  }
}

TEST_CASE("transport failures become connection/timeout/request errors with context") {
  struct Failure {
    Kind kind;
    std::string text;  // what the backend says
    std::string type;
    std::string exception_type;
    std::string shown;  // the text in the message
    std::string suggestion;
  };
  const std::vector<Failure> failures{
      {Kind::connection_error, "Connection refused", "connection_error", "ConnectError",
       "Connection refused", "Ensure the Archon server is running on the correct port"},
      {Kind::connect_timeout, "", "connection_timeout", "ConnectTimeout",
       "could not connect to the Archon API within 1 s",
       "Check if the Archon server is running and accessible at the configured URL"},
      {Kind::read_timeout, "", "read_timeout", "ReadTimeout",
       "the Archon API did not answer within 2 s (read timeout)",
       "The operation is taking longer than expected. Try again or check server logs"},
      {Kind::request_error, "TLS handshake failed", "request_error", "RequestError",
       "TLS handshake failed", "Check network connectivity and server configuration"},
  };
  for (const auto& tc : tool_calls()) {
    for (const auto& f : failures) {
      CAPTURE(tc.label);
      CAPTURE(f.type);
      ToolHarness h;
      h.backend->fail(f.kind, f.text);
      CHECK(h.call(tc.tool, tc.arguments) ==
            error_envelope(f.type, "Failed to " + tc.transport_op + ": " + f.shown,
                           transport_details(f.exception_type, f.shown, tc.context),
                           f.suggestion));
    }
  }
}

TEST_CASE("a 2xx body that is not JSON gives invalid_response (deletes and restores succeed)") {
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer_text(200, "<html>proxy page</html>");
    const json payload = h.call(tc.tool, tc.arguments);
    const std::string tool = tc.tool;
    const bool message_only = tc.expected_call["method"] == "DELETE" ||
                              tc.expected_call["path"].get<std::string>().ends_with("/restore");
    if (message_only) {
      // Nothing is read from the body but an optional message: the default one is used.
      CHECK(payload["success"] == true);
      CHECK(payload["message"].is_string());
    } else {
      CHECK(payload == error_envelope("invalid_response",
                                      "Failed to " + tc.http_op +
                                          ": the Archon API answered HTTP 200 with a body that "
                                          "is not JSON",
                                      json{{"response_text", "<html>proxy page</html>"}},
                                      "Check that the configured backend URL points at the "
                                      "Archon API server",
                                      200));
    }
  }
}

TEST_CASE("a 2xx body nested too deep to parse gives invalid_response that says so") {
  // HttpBackend leaves such a body unparsed (body_too_deep); the tool must name the reason.
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    const bool message_only = tc.expected_call["method"] == "DELETE" ||
                              tc.expected_call["path"].get<std::string>().ends_with("/restore");
    if (message_only) continue;
    ToolHarness h;
    auto deep = text_response(200, std::string(200, '[') + std::string(200, ']'));
    deep.body_too_deep = true;
    h.backend->answer(deep);
    const json payload = h.call(tc.tool, tc.arguments);
    CHECK(payload["success"] == false);
    CHECK(payload["error"]["type"] == "invalid_response");
    CHECK(payload["error"]["message"] == "Failed to " + tc.http_op +
                                             ": the Archon API answered HTTP 200 with JSON "
                                             "nested deeper than 100 levels");
  }
}

TEST_CASE("a 2xx body too large to keep or to parse gives invalid_response naming the limit") {
  // HttpBackend cuts off an answer over --max-backend-body (body_too_large) and leaves JSON
  // whose parse would take too much memory unparsed (body_too_costly).
  for (const bool cut_off : {true, false}) {
    for (const auto& tc : tool_calls()) {
      CAPTURE(tc.label);
      const bool message_only = tc.expected_call["method"] == "DELETE" ||
                                tc.expected_call["path"].get<std::string>().ends_with("/restore");
      if (message_only) continue;
      ToolHarness h;
      auto big = text_response(200, "[{},{},{},{}");
      (cut_off ? big.body_too_large : big.body_too_costly) = true;
      h.backend->answer(big);
      const json payload = h.call(tc.tool, tc.arguments);
      CHECK(payload["success"] == false);
      CHECK(payload["error"]["type"] == "invalid_response");
      CHECK(payload["error"]["message"] ==
            "Failed to " + tc.http_op + ": the Archon API answered HTTP 200 with " +
                (cut_off ? "a body over the size limit for backend answers (--max-backend-body)"
                         : "JSON too large to parse within the memory limit for backend answers "
                           "(--max-backend-body)"));
    }
  }
}

TEST_CASE("non-RAG tools carry the api timeouts") {
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer_json(500, json::object());
    (void)h.call(tc.tool, tc.arguments);
    REQUIRE(h.backend->calls().size() == 1);
    const auto t = h.backend->calls()[0].timeouts;
    REQUIRE(t.has_value());
    CHECK(t->connect == 1s);
    CHECK(t->read == 2s);
    CHECK(t->total == 3s);
  }
}

TEST_CASE("404 on a single get is not_found, with Archon's wording") {
  struct Case {
    const char* tool;
    json arguments;
    std::string message;
    std::string suggestion;
  };
  const std::vector<Case> cases{
      {"find_projects", {{"project_id", "p-9"}}, "Project p-9 not found",
       "Verify the project ID is correct"},
      {"find_tasks", {{"task_id", "t-9"}}, "Task t-9 not found", "Verify the task ID is correct"},
      {"find_documents", {{"project_id", "p-1"}, {"document_id", "d-9"}}, "Document d-9 not found",
       "Verify the document ID is correct"},
      {"find_versions", {{"project_id", "p-1"}, {"field_name", "docs"}, {"version_number", 9}},
       "Version 9 not found for field docs", "Verify the version number and field name"},
      {"get_project_features", {{"project_id", "p-9"}}, "Project p-9 not found",
       "Verify the project ID is correct"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tool);
    ToolHarness h;
    h.backend->answer_json(404, {{"detail", {{"error", "nope"}}}});
    CHECK(h.call(c.tool, c.arguments) ==
          error_envelope("not_found", c.message, nullptr, c.suggestion, 404));
  }
}

TEST_CASE("404 on update/delete goes through from_http_error like any other status") {
  ToolHarness h;
  h.backend->answer_json(404, {{"detail", "Task t-9 not found"}});
  CHECK(h.call("manage_task", {{"action", "delete"}, {"task_id", "t-9"}}) ==
        error_envelope("http_error", "Failed to delete task: HTTP 404",
                       json{{"response_text", R"({"detail":"Task t-9 not found"})"}},
                       "The requested resource was not found. Verify the ID is correct", 404));
}

TEST_CASE("a handler never throws, even when the backend throws something unexpected") {
  for (const auto& tc : tool_calls()) {
    CAPTURE(tc.label);
    ToolHarness h;
    h.backend->answer([](const RecordedCall&) -> Response { throw std::runtime_error("bug"); });
    CHECK(h.call(tc.tool, tc.arguments) ==
          error_envelope("unknown_error", "Failed to " + tc.transport_op + ": bug",
                         json{{"exception_type", "Exception"}, {"exception_message", "bug"}}));
  }
}
