// The Archon tools against a real EmbeddedBackend: proves the tools and the store agree on
// paths, parameters, bodies and the fields the tools read.
#include "../archon/archon_fakes.hpp"
#include "embedded_fixture.hpp"

using archon_test::FakeContext;
using embedded_test::json;

namespace {

struct EmbeddedTools {
  embedded_test::Store store;
  mcpgate::tools::ToolRegistry registry;
  FakeContext context;

  EmbeddedTools() {
    mcpgate::tools::archon::register_archon_tools(registry, store.backend, archon_test::test_options());
  }

  json call(const std::string& tool, const json& arguments) {
    const auto* entry = registry.find(tool);
    REQUIRE(entry != nullptr);
    const auto problem = entry->validator->validate(arguments);
    REQUIRE_MESSAGE(!problem.has_value(), problem.value_or(""));
    const auto result = entry->tool.handler(arguments, context);
    REQUIRE_FALSE(result.is_error);
    return json::parse(result.content.at(0)["text"].get<std::string>());
  }
  json ok(const std::string& tool, const json& arguments) {
    json r = call(tool, arguments);
    REQUIRE_MESSAGE(r["success"] == true, tool << ": " << r.dump());
    return r;
  }
  json fails(const std::string& tool, const json& arguments) {
    json r = call(tool, arguments);
    REQUIRE_MESSAGE(r["success"] == false, tool << ": " << r.dump());
    return r["error"];
  }
};

}  // namespace

TEST_CASE("project tools") {
  EmbeddedTools t;
  auto created = t.ok("manage_project", {{"action", "create"}, {"title", "Site"}, {"description", "web"}});
  const std::string pid = created["project_id"];
  CHECK(created["project"]["title"] == "Site");
  CHECK(created["message"] == "Project created successfully");
  t.ok("manage_project", {{"action", "create"}, {"title", "Other"}});

  auto one = t.ok("find_projects", {{"project_id", pid}});
  CHECK(one["project"]["description"] == "web");
  auto found = t.ok("find_projects", {{"query", "sit"}});
  CHECK(found["total"] == 1);
  CHECK(found["projects"][0]["id"] == pid);
  CHECK(t.ok("find_projects", json::object())["total"] == 2);

  auto updated = t.ok("manage_project", {{"action", "update"}, {"project_id", pid}, {"title", "Site 2"}});
  CHECK(updated["project"]["title"] == "Site 2");

  auto missing = t.fails("find_projects", {{"project_id", "nope"}});
  CHECK(missing["type"] == "not_found");
  auto bad_update = t.fails("manage_project", {{"action", "update"}, {"project_id", "nope"}, {"title", "x"}});
  CHECK(bad_update["type"] == "api_error");
  CHECK(bad_update["http_status"] == 404);

  CHECK(t.ok("manage_project", {{"action", "delete"}, {"project_id", pid}})["message"] ==
        "Project deleted successfully");
  CHECK(t.fails("find_projects", {{"project_id", pid}})["type"] == "not_found");
}

TEST_CASE("task tools") {
  EmbeddedTools t;
  const std::string pid = t.store.project();
  auto created = t.ok("manage_task", {{"action", "create"}, {"project_id", pid}, {"title", "Login"},
                                      {"description", "form"}, {"assignee", "Coder"}, {"feature", "auth"}});
  const std::string tid = created["task_id"];
  CHECK(created["task"]["status"] == "todo");
  CHECK(created["task"]["sources_count"] == 0);
  auto doing = t.ok("manage_task", {{"action", "create"}, {"project_id", pid}, {"title", "Logout"},
                                    {"status", "doing"}});
  CHECK(doing["task"]["status"] == "doing");  // the follow-up PUT worked

  CHECK(t.ok("find_tasks", {{"task_id", tid}})["task"]["feature"] == "auth");
  auto by_project = t.ok("find_tasks", {{"filter_by", "project"}, {"filter_value", pid}});
  CHECK(by_project["total_count"] == 2);
  auto by_status = t.ok("find_tasks", {{"filter_by", "status"}, {"filter_value", "doing"}});
  CHECK(by_status["total_count"] == 1);
  CHECK(by_status["tasks"][0]["title"] == "Logout");
  auto by_assignee = t.ok("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "coder"}});
  CHECK(by_assignee["total_count"] == 1);
  auto by_query = t.ok("find_tasks", {{"query", "logi"}, {"per_page", 1}});
  CHECK(by_query["total_count"] == 1);
  for (int i = 0; i < 4; ++i) t.store.task(pid, "filler " + std::to_string(i));
  auto paged = t.ok("find_tasks", {{"project_id", pid}, {"per_page", 2}});
  CHECK(paged["count"] == 2);
  CHECK(paged["total_count"] == 6);  // the real total

  auto updated = t.ok("manage_task", {{"action", "update"}, {"task_id", tid}, {"status", "review"},
                                      {"task_order", 5}});
  CHECK(updated["task"]["status"] == "review");
  CHECK(updated["task"]["task_order"] == 5);
  auto bad_status = t.fails("manage_task", {{"action", "update"}, {"task_id", tid}, {"status", "later"}});
  CHECK(bad_status["type"] == "api_error");
  CHECK(bad_status["http_status"] == 422);
  CHECK(bad_status["message"].get<std::string>().find("Invalid status 'later'") != std::string::npos);
  CHECK(t.fails("manage_task", {{"action", "create"}, {"project_id", "nope"}, {"title", "x"}})["http_status"] == 404);
  CHECK(t.fails("find_tasks", {{"task_id", "nope"}})["type"] == "not_found");
  CHECK(t.fails("find_tasks", {{"filter_by", "project"}, {"filter_value", "nope"}})["http_status"] == 404);

  t.ok("manage_task", {{"action", "delete"}, {"task_id", tid}});
  auto twice = t.fails("manage_task", {{"action", "delete"}, {"task_id", tid}});
  CHECK(twice["type"] == "http_error");
  CHECK(twice["http_status"] == 409);
  CHECK(t.fails("manage_task", {{"action", "delete"}, {"task_id", "nope"}})["http_status"] == 404);
}

TEST_CASE("document tools") {
  EmbeddedTools t;
  const std::string pid = t.store.project();
  auto created = t.ok("manage_document", {{"action", "create"}, {"project_id", pid}, {"title", "Design"},
                                          {"document_type", "design"}, {"content", {{"text", "boxes"}}},
                                          {"tags", {"ui"}}});
  const std::string did = created["document_id"];
  CHECK(created["document"]["status"] == "draft");
  t.ok("manage_document", {{"action", "create"}, {"project_id", pid}, {"title", "Notes"},
                           {"document_type", "note"}});

  auto all = t.ok("find_documents", {{"project_id", pid}});
  CHECK(all["total"] == 2);
  auto designs = t.ok("find_documents", {{"project_id", pid}, {"document_type", "design"}});
  CHECK(designs["total"] == 1);
  CHECK(t.ok("find_documents", {{"project_id", pid}, {"query", "note"}})["total"] == 1);
  auto one = t.ok("find_documents", {{"project_id", pid}, {"document_id", did}});
  CHECK(one["document"]["content"] == json{{"text", "boxes"}});

  auto updated = t.ok("manage_document", {{"action", "update"}, {"project_id", pid}, {"document_id", did},
                                          {"content", {{"text", "circles"}}}});
  CHECK(updated["document"]["content"] == json{{"text", "circles"}});
  t.ok("manage_document", {{"action", "delete"}, {"project_id", pid}, {"document_id", did}});
  CHECK(t.fails("find_documents", {{"project_id", pid}, {"document_id", did}})["type"] == "not_found");
  CHECK(t.fails("manage_document", {{"action", "delete"}, {"project_id", pid}, {"document_id", did}})["http_status"] == 404);
  CHECK(t.fails("find_documents", {{"project_id", "nope"}})["http_status"] == 404);
}

TEST_CASE("text filters match case-insensitively across Unicode on the embedded store") {
  EmbeddedTools t;
  t.ok("manage_project", {{"action", "create"}, {"title", "ÜBER-LÅNGA"}, {"description", "rader"}});
  t.ok("manage_project", {{"action", "create"}, {"title", "Mythen"}, {"description", "ΣΊΣΥΦΟΣ"}});
  auto found = t.ok("find_projects", {{"query", "über-långa"}});
  CHECK(found["total"] == 1);
  CHECK(found["projects"][0]["title"] == "ÜBER-LÅNGA");
  CHECK(t.ok("find_projects", {{"query", "σίσυφος"}})["projects"][0]["title"] == "Mythen");

  const std::string pid = t.store.project();
  t.ok("manage_task", {{"action", "create"}, {"project_id", pid}, {"title", "Läsa ÜBER-LÅNGA"},
                       {"assignee", "Agent Ödön"}});
  t.ok("manage_task", {{"action", "create"}, {"project_id", pid}, {"title", "other"}});
  auto by_assignee = t.ok("find_tasks", {{"filter_by", "assignee"}, {"filter_value", "AGENT ÖDÖN"}});
  CHECK(by_assignee["total_count"] == 1);
  CHECK(by_assignee["tasks"][0]["title"] == "Läsa ÜBER-LÅNGA");
  auto by_query = t.ok("find_tasks", {{"query", "läsa über-långa"}});
  CHECK(by_query["total_count"] == 1);
  CHECK(t.ok("find_tasks", {{"query", "über-långa"}, {"filter_by", "assignee"},
                            {"filter_value", "agent ödön"}})["total_count"] == 1);

  t.ok("manage_document", {{"action", "create"}, {"project_id", pid}, {"title", "ÖVERSIKT"},
                           {"document_type", "note"}});
  CHECK(t.ok("find_documents", {{"project_id", pid}, {"query", "översikt"}})["total"] == 1);
}

TEST_CASE("version and feature tools") {
  EmbeddedTools t;
  const std::string pid = t.store.project();
  auto created = t.ok("manage_version", {{"action", "create"}, {"project_id", pid}, {"field_name", "features"},
                                         {"content", {{"features", json::array({{{"name", "auth"}}})}}},
                                         {"change_summary", "auth"}});
  CHECK(created["version"]["version_number"] == 1);
  auto list_content = t.fails("manage_version", {{"action", "create"}, {"project_id", pid},
                                                 {"field_name", "features"}, {"content", json::array({{{"a", 1}}})}});
  CHECK(list_content["type"] == "validation_error");

  auto versions = t.ok("find_versions", {{"project_id", pid}, {"field_name", "features"}});
  CHECK(versions["total"] == 1);
  CHECK_FALSE(versions["versions"][0].contains("content"));
  auto one = t.ok("find_versions", {{"project_id", pid}, {"field_name", "features"}, {"version_number", 1}});
  CHECK(one["version"]["version_number"] == 1);
  CHECK(t.fails("find_versions", {{"project_id", pid}, {"field_name", "features"}, {"version_number", 9}})["type"] ==
        "not_found");

  CHECK(t.ok("get_project_features", {{"project_id", pid}})["count"] == 0);
  auto restored = t.ok("manage_version", {{"action", "restore"}, {"project_id", pid}, {"field_name", "features"},
                                          {"version_number", 1}});
  CHECK(restored["version_number"] == 1);
  auto features = t.ok("get_project_features", {{"project_id", pid}});
  CHECK(features["count"] == 1);
  CHECK(features["features"][0]["name"] == "auth");
  CHECK(t.fails("manage_version", {{"action", "restore"}, {"project_id", pid}, {"field_name", "features"},
                                   {"version_number", 7}})["http_status"] == 404);
  CHECK(t.fails("get_project_features", {{"project_id", "nope"}})["type"] == "not_found");
}

TEST_CASE("manage_version: a docs version that create accepts, restore puts back as the project's docs") {
  EmbeddedTools t;
  const std::string pid = t.store.project();
  t.ok("manage_document", {{"action", "create"}, {"project_id", pid}, {"title", "Spec"},
                           {"document_type", "spec"}, {"content", {{"text", "v1"}}}});
  const json snapshot = t.store.ok("GET", "/api/projects/" + pid)["docs"];
  REQUIRE(snapshot.size() == 1);
  t.ok("manage_version", {{"action", "create"}, {"project_id", pid}, {"field_name", "docs"},
                          {"content", {{"docs", snapshot}}}, {"change_summary", "spec v1"}});

  // Change the docs after the snapshot: one more document, the first one's content edited.
  t.ok("manage_document", {{"action", "create"}, {"project_id", pid}, {"title", "Notes"},
                           {"document_type", "note"}});
  t.ok("manage_document", {{"action", "update"}, {"project_id", pid},
                           {"document_id", snapshot[0]["id"]}, {"content", {{"text", "v2"}}}});
  REQUIRE(t.store.ok("GET", "/api/projects/" + pid)["docs"] != snapshot);

  t.ok("manage_version", {{"action", "restore"}, {"project_id", pid}, {"field_name", "docs"},
                          {"version_number", 1}});
  CHECK(t.store.ok("GET", "/api/projects/" + pid)["docs"] == snapshot);
  CHECK(t.ok("find_documents", {{"project_id", pid}})["total"] == 1);
}

TEST_CASE("manage_version: a docs version restore could not put back is refused at create, with the reason") {
  EmbeddedTools t;
  const std::string pid = t.store.project();
  for (const json& content : {json{{"title", "Spec"}, {"content", {{"text", "v1"}}}},
                              json{{"docs", {{"title", "Spec"}}}},
                              json{{"docs", json::array({"Spec"})}}}) {
    CAPTURE(content.dump());
    auto error = t.fails("manage_version", {{"action", "create"}, {"project_id", pid},
                                            {"field_name", "docs"}, {"content", content}});
    CHECK(error["http_status"] == 422);
    const std::string message = error["message"];
    CHECK(message.find("list of documents") != std::string::npos);
    CHECK(message.find("{\"docs\": [") != std::string::npos);
  }
  CHECK(t.ok("find_versions", {{"project_id", pid}, {"field_name", "docs"}})["total"] == 0);
  // The other fields take any object, and restore puts it back as it was.
  t.ok("manage_version", {{"action", "create"}, {"project_id", pid}, {"field_name", "data"},
                          {"content", {{"title", "Spec"}}}});
  t.ok("manage_version", {{"action", "restore"}, {"project_id", pid}, {"field_name", "data"},
                          {"version_number", 1}});
  CHECK(t.store.ok("GET", "/api/projects/" + pid)["data"] == json{{"title", "Spec"}});
}
