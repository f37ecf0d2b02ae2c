// find_documents, manage_document, find_versions and manage_version.
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

json doc(const std::string& id, const std::string& title, const std::string& type) {
  return json{{"id", id}, {"title", title}, {"document_type", type}, {"version", "1.0"}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// find_documents

TEST_CASE("find_documents with document_id: GET .../docs/{id}, the full document") {
  ToolHarness h;
  json full = doc("d-1", "API Spec", "spec");
  full["content"] = {{"sections", {"a", "b"}}};
  h.backend->answer_json(200, full);
  CHECK(h.call("find_documents", {{"project_id", "p-1"}, {"document_id", "d-1"}}) ==
        json{{"success", true}, {"document", full}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1/docs/d-1")}));
}

TEST_CASE("find_documents list: GET .../docs, content stripped, echo of the filters") {
  ToolHarness h;
  json with_content = doc("d-1", "API Spec", "spec");
  with_content["content"] = {{"body", "secret"}};
  h.backend->answer_json(200, {{"project_id", "p-1"},
                               {"documents", {with_content, doc("d-2", "Notes", "note")}},
                               {"total_count", 2}});
  CHECK(h.call("find_documents", {{"project_id", "p-1"}}) ==
        json{{"success", true},
             {"documents", {doc("d-1", "API Spec", "spec"), doc("d-2", "Notes", "note")}},
             {"count", 2},
             {"total", 2},
             {"project_id", "p-1"},
             {"query", nullptr},
             {"document_type", nullptr}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1/docs")}));
}

TEST_CASE("find_documents list: type filter, query in title or content, then pages") {
  json with_content = doc("d-3", "Plan", "spec");
  with_content["content"] = {{"text", "OAuth flow"}};
  const json documents = json::array({doc("d-1", "Auth API", "spec"), doc("d-2", "auth notes", "note"),
                                      with_content, doc("d-4", "Billing", "spec")});
  struct Case {
    json arguments;
    std::vector<std::string> ids;
    int total;
  };
  const std::vector<Case> cases{
      {{{"document_type", "spec"}}, {"d-1", "d-3", "d-4"}, 3},
      {{{"query", "AUTH"}}, {"d-1", "d-2", "d-3"}, 3},  // d-3 matches in its content
      {{{"query", "auth"}, {"document_type", "note"}}, {"d-2"}, 1},
      {{{"document_type", "spec"}, {"page", 2}, {"per_page", 2}}, {"d-4"}, 3},
      {{{"query", "zzz"}}, {}, 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    h.backend->answer_json(200, {{"documents", documents}});
    json arguments = c.arguments;
    arguments["project_id"] = "p-1";
    const json result = h.call("find_documents", arguments);
    std::vector<std::string> ids;
    for (const auto& d : result["documents"]) {
      ids.push_back(d["id"]);
      CHECK_FALSE(d.contains("content"));
    }
    CHECK(ids == c.ids);
    CHECK(result["total"] == c.total);
    CHECK(result["count"] == c.ids.size());
    CHECK(result["query"] == c.arguments.value("query", json(nullptr)));
    CHECK(result["document_type"] == c.arguments.value("document_type", json(nullptr)));
  }
}

TEST_CASE("find_documents list: query matches title or content case-insensitively across Unicode") {
  json greek = doc("d-2", "Mythen", "note");
  greek["content"] = {{"text", "Der Stein des ΣΊΣΥΦΟΣ"}};
  const json documents =
      json::array({doc("d-1", "ÜBER-LÅNGA Spezifikation", "spec"), greek, doc("d-3", "Other", "spec")});
  // A pair, not a structured binding: clang 14 cannot capture a binding in CAPTURE's lambda.
  for (const auto& expected : std::vector<std::pair<std::string, std::string>>{
           {"über-långa", "d-1"}, {"σίσυφος", "d-2"}}) {
    const std::string& query = expected.first;
    const std::string& id = expected.second;
    CAPTURE(query);
    ToolHarness h;
    h.backend->answer_json(200, {{"documents", documents}});
    const json result = h.call("find_documents", {{"project_id", "p-1"}, {"query", query}});
    REQUIRE(result["documents"].size() == 1);
    CHECK(result["documents"][0]["id"] == id);
  }
}

// ---------------------------------------------------------------------------------------------
// manage_document

TEST_CASE("manage_document create: POST .../docs with Archon's defaults") {
  ToolHarness h;
  const json created{{"id", "d-9"}, {"project_id", "p-1"}, {"document_type", "spec"},
                     {"title", "API"}, {"status", "draft"}, {"version", "1.0"}};
  h.backend->answer_json(200, {{"message", "Document created"}, {"document", created}});
  CHECK(h.call("manage_document", {{"action", "create"}, {"project_id", "p-1"}, {"title", "API"},
                                   {"document_type", "spec"}}) ==
        json{{"success", true},
             {"document", created},
             {"document_id", "d-9"},
             {"message", "Document created"}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/projects/p-1/docs", {},
                          {{"title", "API"}, {"document_type", "spec"},
                           {"content", json::object()}, {"tags", json::array()},
                           {"author", "User"}})}));
}

TEST_CASE("manage_document create: content, tags and author passed on") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("manage_document",
               {{"action", "create"}, {"project_id", "p-1"}, {"title", "API"},
                {"document_type", "guide"}, {"content", {{"intro", "hi"}}},
                {"tags", {"backend", "auth"}}, {"author", "Archon"}}) ==
        json{{"success", true},
             {"document", nullptr},
             {"document_id", nullptr},
             {"message", "Document created successfully"}});
  CHECK(h.backend->calls()[0].body ==
        json{{"title", "API"}, {"document_type", "guide"}, {"content", {{"intro", "hi"}}},
             {"tags", {"backend", "auth"}}, {"author", "Archon"}});
}

TEST_CASE("manage_document update: PUT only the given fields (document_type is not one)") {
  ToolHarness h;
  const json updated = doc("d-1", "New", "spec");
  h.backend->answer_json(200, {{"message", "Document updated"}, {"document", updated}});
  CHECK(h.call("manage_document", {{"action", "update"}, {"project_id", "p-1"},
                                   {"document_id", "d-1"}, {"title", "New"},
                                   {"content", json::object()}, {"tags", json::array()},
                                   {"document_type", "note"}}) ==
        json{{"success", true}, {"document", updated}, {"message", "Document updated"}});
  CHECK(h.backend->call_log() ==
        json::array({call("PUT", "/api/projects/p-1/docs/d-1", {},
                          {{"title", "New"}, {"content", json::object()},
                           {"tags", json::array()}})}));
}

TEST_CASE("manage_document delete: DELETE .../docs/{id}") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Document deleted"}});
  CHECK(h.call("manage_document",
               {{"action", "delete"}, {"project_id", "p-1"}, {"document_id", "d-1"}}) ==
        json{{"success", true}, {"message", "Document deleted"}});
  CHECK(h.backend->call_log() == json::array({call("DELETE", "/api/projects/p-1/docs/d-1")}));
}

TEST_CASE("manage_document: validation and unknown actions, before any call") {
  struct Case {
    json arguments;
    json expected;
  };
  const std::vector<Case> cases{
      {{{"action", "create"}, {"title", "T"}},
       error_envelope("validation_error", "title and document_type required for create")},
      {{{"action", "create"}, {"document_type", "spec"}},
       error_envelope("validation_error", "title and document_type required for create")},
      {{{"action", "update"}, {"title", "T"}},
       error_envelope("validation_error", "document_id required for update")},
      {{{"action", "update"}, {"document_id", "d-1"}, {"document_type", "spec"}},
       error_envelope("validation_error", "No fields to update")},
      {{{"action", "delete"}}, error_envelope("validation_error", "document_id required for delete")},
      {{{"action", "publish"}, {"document_id", "d-1"}},
       error_envelope("invalid_action", "Unknown action: publish")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    json arguments = c.arguments;
    arguments["project_id"] = "p-1";
    CHECK(h.call("manage_document", arguments) == c.expected);
    CHECK(h.backend->calls().empty());
  }
}

// ---------------------------------------------------------------------------------------------
// find_versions

TEST_CASE("find_versions with field_name and version_number: the one version, nested as sent") {
  ToolHarness h;
  const json body{{"version", {{"id", "v-3"}, {"version_number", 3}}},
                  {"content", {{"a", 1}}},
                  {"field_name", "docs"},
                  {"version_number", 3}};
  h.backend->answer_json(200, body);
  CHECK(h.call("find_versions", {{"project_id", "p-1"}, {"field_name", "docs"},
                                 {"version_number", 3}}) ==
        json{{"success", true}, {"version", body}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1/versions/docs/3")}));
}

TEST_CASE("find_versions: version 0 is a real version number") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  (void)h.call("find_versions", {{"project_id", "p-1"}, {"field_name", "docs"},
                                 {"version_number", 0}});
  CHECK(h.backend->calls()[0].path == "/api/projects/p-1/versions/docs/0");
}

TEST_CASE("find_versions list: field filter as query, client-side pages, content stripped") {
  json versions = json::array();
  for (int n = 5; n >= 1; --n)
    versions.push_back(json{{"version_number", n}, {"field_name", "docs"}, {"content", {{"n", n}}}});
  SUBCASE("with field_name, page 2 of 2") {
    ToolHarness h;
    h.backend->answer_json(200, {{"project_id", "p-1"}, {"field_name", "docs"},
                                 {"versions", versions}, {"total_count", 5}});
    CHECK(h.call("find_versions", {{"project_id", "p-1"}, {"field_name", "docs"}, {"page", 2},
                                   {"per_page", 2}}) ==
          json{{"success", true},
               {"versions",
                {{{"version_number", 3}, {"field_name", "docs"}},
                 {{"version_number", 2}, {"field_name", "docs"}}}},
               {"count", 2},
               {"total", 5},
               {"project_id", "p-1"},
               {"field_name", "docs"}});
    CHECK(h.backend->call_log() ==
          json::array({call("GET", "/api/projects/p-1/versions", {{"field_name", "docs"}})}));
  }
  SUBCASE("without field_name; version_number alone is ignored") {
    ToolHarness h;
    h.backend->answer_json(200, {{"versions", json::array()}});
    CHECK(h.call("find_versions", {{"project_id", "p-1"}, {"version_number", 2}}) ==
          json{{"success", true},
               {"versions", json::array()},
               {"count", 0},
               {"total", 0},
               {"project_id", "p-1"},
               {"field_name", nullptr}});
    CHECK(h.backend->call_log() == json::array({call("GET", "/api/projects/p-1/versions")}));
  }
}

// ---------------------------------------------------------------------------------------------
// manage_version

TEST_CASE("manage_version create: POST .../versions with Archon's defaults") {
  ToolHarness h;
  const json version{{"id", "v-6"}, {"version_number", 6}};
  h.backend->answer_json(200, {{"message", "Version created"}, {"version", version}});
  CHECK(h.call("manage_version", {{"action", "create"}, {"project_id", "p-1"},
                                  {"field_name", "docs"}, {"content", {{"docs", json::array()}}}}) ==
        json{{"success", true}, {"version", version}, {"message", "Version created"}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/projects/p-1/versions", {},
                          {{"field_name", "docs"}, {"content", {{"docs", json::array()}}},
                           {"change_summary", "No summary provided"}, {"document_id", nullptr},
                           {"created_by", "system"}})}));
}

TEST_CASE("manage_version create: every optional field passed on") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("manage_version", {{"action", "create"}, {"project_id", "p-1"},
                                  {"field_name", "features"}, {"content", {{"a", 1}}},
                                  {"change_summary", "Added auth"}, {"document_id", "d-1"},
                                  {"created_by", "Archon"}}) ==
        json{{"success", true}, {"version", nullptr}, {"message", "Version created successfully"}});
  CHECK(h.backend->calls()[0].body ==
        json{{"field_name", "features"}, {"content", {{"a", 1}}}, {"change_summary", "Added auth"},
             {"document_id", "d-1"}, {"created_by", "Archon"}});
}

TEST_CASE("manage_version create with list content: sent as is; a 422 refusal is explained") {
  const json list = json::array({{{"id", "d-1"}, {"title", "Spec"}}});
  SUBCASE("a backend that stores lists") {
    ToolHarness h;
    h.backend->answer_json(200, {{"version", {{"id", "v-1"}}}, {"message", "ok"}});
    CHECK(h.call("manage_version", {{"action", "create"}, {"project_id", "p-1"},
                                    {"field_name", "docs"}, {"content", list}}) ==
          json{{"success", true}, {"version", {{"id", "v-1"}}}, {"message", "ok"}});
    CHECK(h.backend->calls()[0].body["content"] == list);
  }
  SUBCASE("Archon's backend (object only)") {
    ToolHarness h;
    const json refusal{{"detail", json::array({{{"type", "dict_type"},
                                                {"loc", {"body", "content"}},
                                                {"msg", "Input should be a valid dictionary"}}})}};
    h.backend->answer_json(422, refusal);
    CHECK(h.call("manage_version", {{"action", "create"}, {"project_id", "p-1"},
                                    {"field_name", "docs"}, {"content", list}}) ==
          error_envelope("validation_error",
                         "Failed to create version: the Archon API accepts only a JSON object as "
                         "content, not a list",
                         json{{"response_body", refusal}},
                         "Pass content as an object, e.g. {\"docs\": [...]}", 422));
  }
  SUBCASE("a 422 for object content stays an ordinary HTTP error") {
    ToolHarness h;
    h.backend->answer_json(422, {{"detail", "bad field"}});
    CHECK(h.call("manage_version", {{"action", "create"}, {"project_id", "p-1"},
                                    {"field_name", "nope"}, {"content", {{"a", 1}}}})["error"]["type"] ==
          "http_error");
  }
}

TEST_CASE("manage_version restore: POST .../versions/{field}/{n}/restore with an empty body") {
  ToolHarness h;
  h.backend->answer_json(200, {{"message", "Restored docs to version 2"}, {"restored_version", 2}});
  CHECK(h.call("manage_version", {{"action", "restore"}, {"project_id", "p-1"},
                                  {"field_name", "docs"}, {"version_number", 2}}) ==
        json{{"success", true},
             {"message", "Restored docs to version 2"},
             {"field_name", "docs"},
             {"version_number", 2}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/projects/p-1/versions/docs/2/restore", {}, json::object())}));
}

TEST_CASE("manage_version: validation and unknown actions, before any call") {
  struct Case {
    json arguments;
    json expected;
  };
  const std::vector<Case> cases{
      {{{"action", "create"}}, error_envelope("validation_error", "content required for create")},
      {{{"action", "create"}, {"content", json::object()}},
       error_envelope("validation_error", "content required for create")},
      {{{"action", "create"}, {"content", json::array()}},
       error_envelope("validation_error", "content required for create")},
      {{{"action", "restore"}},
       error_envelope("validation_error", "version_number required for restore")},
      {{{"action", "delete"}, {"version_number", 1}},
       error_envelope("invalid_action", "Unknown action: delete. Use 'create' or 'restore'")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arguments.dump());
    ToolHarness h;
    json arguments = c.arguments;
    arguments["project_id"] = "p-1";
    arguments["field_name"] = "docs";
    CHECK(h.call("manage_version", arguments) == c.expected);
    CHECK(h.backend->calls().empty());
  }
}
