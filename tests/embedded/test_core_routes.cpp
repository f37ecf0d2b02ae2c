// EmbeddedBackend's core routes: status codes and bodies for success and errors.
#include "embedded_fixture.hpp"

using namespace embedded_test;

TEST_CASE("projects: create, get, list, update, delete") {
  Store s;
  auto created = s.ok("POST", "/api/projects",
                      {{"title", "Alpha"}, {"description", "first"}, {"github_repo", "https://g/a"},
                       {"features", json::array({{{"name", "auth"}}})}});
  CHECK(created["status"] == "completed");
  CHECK(created["message"] == "Project created successfully");
  const std::string id = created["project_id"];
  CHECK(id.size() == 36);
  const json& p = created["project"];
  CHECK(p["id"] == id);
  CHECK(p["title"] == "Alpha");
  CHECK(p["docs"] == json::array());
  CHECK(p["data"] == json::array());
  CHECK(p["technical_sources"] == json::array());
  CHECK(p["pinned"] == false);
  CHECK(p["created_at"].get<std::string>().ends_with("+00:00"));

  CHECK(s.ok("GET", "/api/projects/" + id) == p);
  auto list = s.ok("GET", "/api/projects");
  CHECK(list["count"] == 1);
  CHECK(list["projects"][0]["features"].size() == 1);
  auto light = s.ok("GET", "/api/projects", nullptr, {{"include_content", "false"}});
  CHECK_FALSE(light["projects"][0].contains("docs"));
  CHECK(light["projects"][0]["stats"]["features_count"] == 1);

  auto updated = s.ok("PUT", "/api/projects/" + id, {{"title", "Beta"}, {"pinned", true}});
  CHECK(updated["id"] == id);  // the project itself, not wrapped
  CHECK(updated["title"] == "Beta");
  CHECK(updated["description"] == "first");
  CHECK(updated["pinned"] == true);

  s.task(id, "t1");
  s.task(id, "t2");
  auto deleted = s.ok("DELETE", "/api/projects/" + id);
  CHECK(deleted["deleted_tasks"] == 2);
  CHECK(s.call("GET", "/api/projects/" + id).status == 404);
  CHECK(s.ok("GET", "/api/tasks")["pagination"]["total"] == 0);
}

TEST_CASE("projects: errors") {
  Store s;
  auto r = s.call("POST", "/api/projects", {{"title", "  "}});
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail").at("error") == "Field 'title' cannot be empty");
  CHECK(s.call("POST", "/api/projects", json::object()).status == 422);
  CHECK(s.call("POST", "/api/projects", {{"title", 5}}).status == 422);
  CHECK(s.call("POST", "/api/projects", {{"title", "x"}, {"docs", "nope"}}).status == 422);
  r = s.call("GET", "/api/projects/missing");
  CHECK(r.status == 404);
  CHECK(*r.body_json == json{{"detail", {{"error", "Project missing not found"}}}});
  CHECK(s.call("PUT", "/api/projects/missing", {{"title", "x"}}).status == 404);
  CHECK(s.call("DELETE", "/api/projects/missing").status == 404);
  CHECK(s.call("GET", "/api/projects/missing/features").status == 404);
  CHECK(s.call("GET", "/api/projects/missing/tasks").status == 404);
  CHECK(s.call("PATCH", "/api/projects").status == 405);
}

TEST_CASE("oversized bodies and fields are refused with 413") {
  Store s;
  const std::string big(1024 * 1024 + 1, 'x');
  auto r = s.call("POST", "/api/projects", {{"title", "t"}, {"description", big}});
  CHECK(r.status == 413);
  CHECK(r.body_json->at("detail").get<std::string>().find("1 MiB") != std::string::npos);
  json many = json::array();
  for (int i = 0; i < 5; ++i) many.push_back(std::string(1000 * 1000, 'y'));
  r = s.call("POST", "/api/projects", {{"title", "t"}, {"data", many}});
  CHECK(r.status == 413);
  CHECK(s.ok("GET", "/api/projects")["count"] == 0);
}

TEST_CASE("text with a NUL character is refused with 400, on either store, and nothing is written") {
  Store s;
  const std::string nul("a\0b", 3);
  auto r = s.call("POST", "/api/projects", {{"title", "t" + nul}});
  CHECK(r.status == 400);
  CHECK(r.body_json->at("detail").get<std::string>().find("NUL") != std::string::npos);
  r = s.call("POST", "/api/projects", {{"title", "t"}, {"data", {{{"k" + nul, 1}}}}});
  CHECK(r.status == 400);
  CHECK(s.ok("GET", "/api/projects")["count"] == 0);
  const std::string id = s.ok("POST", "/api/projects", {{"title", "t"}})["project_id"];
  CHECK(s.call("GET", "/api/tasks", nullptr, {{"project_id", id + nul}}).status == 400);
  CHECK(s.call("GET", "/api/projects/" + id + nul).status == 400);
  CHECK(s.ok("GET", "/api/projects/" + id)["title"] == "t");
}

TEST_CASE("features come from the project's features field") {
  Store s;
  const auto id = s.project();
  auto f = s.ok("GET", "/api/projects/" + id + "/features");
  CHECK(f["features"] == json::array());
  CHECK(f["count"] == 0);
  s.ok("PUT", "/api/projects/" + id, {{"features", json::array({{{"name", "a"}}, {{"name", "b"}}})}});
  f = s.ok("GET", "/api/projects/" + id + "/features");
  CHECK(f["count"] == 2);
  CHECK(f["features"][1]["name"] == "b");
}

TEST_CASE("tasks: create with defaults, get, update, archive") {
  Store s;
  const auto pid = s.project();
  auto created = s.ok("POST", "/api/tasks", {{"project_id", pid}, {"title", "Write tests"}});
  CHECK(created["message"] == "Task created successfully");
  const json t = created["task"];
  CHECK(t["status"] == "todo");
  CHECK(t["assignee"] == "User");
  CHECK(t["priority"] == "medium");
  CHECK(t["task_order"] == 0);
  CHECK(t["feature"].is_null());
  CHECK(t["archived"] == false);
  CHECK(t["sources"] == json::array());
  const std::string id = t["id"];
  CHECK(s.ok("GET", "/api/tasks/" + id) == t);

  auto with_status = s.ok("POST", "/api/tasks", {{"project_id", pid}, {"title", "b"}, {"status", "review"},
                                                 {"priority", "critical"}, {"task_order", 7}});
  CHECK(with_status["task"]["status"] == "review");
  CHECK(with_status["task"]["priority"] == "critical");

  auto updated = s.ok("PUT", "/api/tasks/" + id,
                      {{"status", "doing"}, {"assignee", "Coder"}, {"feature", "auth"}, {"task_order", 3}});
  CHECK(updated["message"] == "Task updated successfully");
  CHECK(updated["task"]["status"] == "doing");
  CHECK(updated["task"]["assignee"] == "Coder");
  CHECK(updated["task"]["feature"] == "auth");
  CHECK(updated["task"]["task_order"] == 3);
  CHECK(updated["task"]["title"] == "Write tests");

  auto archived = s.ok("DELETE", "/api/tasks/" + id);
  CHECK(archived["message"].get<std::string>().find("archived") != std::string::npos);
  auto again = s.call("DELETE", "/api/tasks/" + id);
  CHECK(again.status == 409);
  CHECK(again.body_json->at("detail").is_string());
  auto kept = s.ok("GET", "/api/tasks/" + id);  // still readable by id
  CHECK(kept["archived"] == true);
  CHECK(kept["archived_at"].is_string());
  CHECK(s.ok("GET", "/api/tasks")["pagination"]["total"] == 1);  // but gone from lists
}

TEST_CASE("tasks: validation and unknown ids") {
  Store s;
  const auto pid = s.project();
  auto r = s.call("POST", "/api/tasks", {{"project_id", pid}, {"title", ""}});
  CHECK(r.status == 422);
  r = s.call("POST", "/api/tasks", {{"project_id", pid}, {"title", "x"}, {"status", "blocked"}});
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail").at("error") ==
        "Invalid status 'blocked'. Must be one of: todo, doing, review, done");
  r = s.call("POST", "/api/tasks", {{"project_id", pid}, {"title", "x"}, {"priority", "urgent"}});
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail").at("error").get<std::string>().find("critical") != std::string::npos);
  CHECK(s.call("POST", "/api/tasks", {{"project_id", pid}, {"title", "x"}, {"task_order", "first"}}).status == 422);
  CHECK(s.call("POST", "/api/tasks", {{"project_id", "nope"}, {"title", "x"}}).status == 404);
  const auto id = s.task(pid, "x");
  CHECK(s.call("PUT", "/api/tasks/" + id, {{"status", "finished"}}).status == 422);
  CHECK(s.call("PUT", "/api/tasks/" + id, json::object()).status == 422);
  r = s.call("GET", "/api/tasks/nope");
  CHECK(r.status == 404);
  CHECK(*r.body_json == json{{"detail", "Task nope not found"}});
  CHECK(s.call("PUT", "/api/tasks/nope", {{"title", "y"}}).status == 404);
  CHECK(s.call("DELETE", "/api/tasks/nope").status == 404);
  CHECK(s.call("GET", "/api/tasks", nullptr, {{"status", "bogus"}}).status == 422);
  CHECK(s.call("GET", "/api/tasks", nullptr, {{"page", "zero"}}).status == 422);
  CHECK(s.call("GET", "/api/tasks", nullptr, {{"per_page", "0"}}).status == 422);
}

TEST_CASE("tasks: list filters, order and pagination with real totals") {
  Store s;
  const auto a = s.project("A");
  const auto b = s.project("B");
  for (int i = 0; i < 12; ++i) s.task(a, "a task " + std::to_string(i), {{"task_order", 12 - i}});
  s.task(a, "Fix LOGIN bug", {{"status", "done"}, {"description", "users cannot sign in"}});
  s.task(b, "b task", {{"status", "doing"}, {"assignee", "Archon"}});

  auto page1 = s.ok("GET", "/api/tasks", nullptr, {{"project_id", a}, {"per_page", "5"}});
  CHECK(page1["pagination"] == json{{"total", 13}, {"page", 1}, {"per_page", 5}, {"pages", 3}});
  CHECK(page1["tasks"].size() == 5);
  CHECK(page1["tasks"][0]["title"] == "Fix LOGIN bug");  // task_order 0 first
  CHECK(page1["tasks"][1]["title"] == "a task 11");
  auto page3 = s.ok("GET", "/api/tasks", nullptr, {{"project_id", a}, {"per_page", "5"}, {"page", "3"}});
  CHECK(page3["tasks"].size() == 3);

  auto open = s.ok("GET", "/api/tasks", nullptr, {{"project_id", a}, {"include_closed", "false"}});
  CHECK(open["pagination"]["total"] == 12);
  auto doing = s.ok("GET", "/api/tasks", nullptr, {{"status", "doing"}});
  CHECK(doing["pagination"]["total"] == 1);
  CHECK(doing["tasks"][0]["project_id"] == b);
  auto q = s.ok("GET", "/api/tasks", nullptr, {{"q", "login"}});
  CHECK(q["pagination"]["total"] == 1);
  CHECK(s.ok("GET", "/api/tasks", nullptr, {{"q", "SIGN IN"}})["pagination"]["total"] == 1);
  CHECK(s.ok("GET", "/api/tasks", nullptr, {{"q", "%"}})["pagination"]["total"] == 0);
  CHECK(s.ok("GET", "/api/tasks", nullptr, {{"assignee", "archon"}})["pagination"]["total"] == 1);

  auto light = s.ok("GET", "/api/tasks", nullptr, {{"exclude_large_fields", "true"}});
  CHECK_FALSE(light["tasks"][0].contains("sources"));
  CHECK(light["tasks"][0]["stats"] == json{{"sources_count", 0}, {"code_examples_count", 0}});

  auto bare = s.ok("GET", "/api/projects/" + a + "/tasks", nullptr, {{"include_archived", "false"}});
  REQUIRE(bare.is_array());
  CHECK(bare.size() == 13);  // done included, no paging
}

TEST_CASE("tasks: q and assignee match case-insensitively across Unicode; % and _ are literal") {
  Store s;
  const auto p = s.project("P");
  s.task(p, "ÜBER-LÅNGA rader", {{"assignee", "Agent Ödön"}});
  s.task(p, "Mythos", {{"description", "der Stein des ΣΊΣΥΦΟΣ"}, {"assignee", "ΣΊΣΥΦΟΣ"}});
  s.task(p, "Straße", {{"description", "50% done_now"}});
  s.task(p, "plain", {{"description", "500 done now"}});
  s.task(p, "Login form", {{"feature", "Authentifizierung"}});
  auto total = [&](const Query& query) {
    return s.ok("GET", "/api/tasks", nullptr, query)["pagination"]["total"].get<int>();
  };
  auto titles = [&](const Query& query) {
    const json answer = s.ok("GET", "/api/tasks", nullptr, query);
    std::vector<std::string> out;
    for (const auto& t : answer["tasks"]) out.push_back(t["title"]);
    return out;
  };
  CHECK(titles({{"q", "über-långa"}}) == std::vector<std::string>{"ÜBER-LÅNGA rader"});
  CHECK(titles({{"q", "σίσυφος"}}) == std::vector<std::string>{"Mythos"});  // in the description
  CHECK(titles({{"q", "STRASSE"}}) == std::vector<std::string>{"Straße"});   // full folding: ß is ss
  CHECK(titles({{"q", "0% DONE_"}}) == std::vector<std::string>{"Straße"});
  CHECK(total({{"q", "0%"}}) == 1);   // not a LIKE wildcard: "500 done now" does not match
  CHECK(total({{"q", "e_n"}}) == 1);  // "done_now" only
  CHECK(total({{"q", "\\"}}) == 0);
  CHECK(titles({{"assignee", "AGENT ÖDÖN"}}) == std::vector<std::string>{"ÜBER-LÅNGA rader"});
  CHECK(titles({{"assignee", "σίσυφος"}}) == std::vector<std::string>{"Mythos"});
  CHECK(total({{"assignee", "agent"}}) == 0);  // the assignee is compared whole
  CHECK(total({{"q", "A\xFF"}}) == 0);
  // The feature is searched too, as the tool's description says.
  CHECK(titles({{"q", "AUTHENTIFIZIERUNG"}}) == std::vector<std::string>{"Login form"});       // invalid UTF-8 in the filter: no match, no error
}

TEST_CASE("documents: create, list, get, update, delete inside the project's docs") {
  Store s;
  const auto pid = s.project();
  auto created = s.ok("POST", "/api/projects/" + pid + "/docs",
                      {{"document_type", "spec"}, {"title", "API spec"},
                       {"content", {{"body", "hello"}}}, {"tags", {"api"}}, {"author", "Ann"}});
  CHECK(created["message"] == "Document created successfully");
  const json d = created["document"];
  CHECK(d["project_id"] == pid);
  CHECK(d["status"] == "draft");
  CHECK(d["version"] == "1.0");
  const std::string did = d["id"];

  auto list = s.ok("GET", "/api/projects/" + pid + "/docs");
  CHECK(list["project_id"] == pid);
  CHECK(list["total_count"] == 1);
  CHECK_FALSE(list["documents"][0].contains("content"));
  CHECK(list["documents"][0]["stats"]["content_size"].get<int>() > 0);
  CHECK(list["documents"][0]["tags"] == json::array({"api"}));

  auto full = s.ok("GET", "/api/projects/" + pid + "/docs/" + did);
  CHECK(full["content"] == json{{"body", "hello"}});
  CHECK(full["author"] == "Ann");

  auto updated = s.ok("PUT", "/api/projects/" + pid + "/docs/" + did, {{"title", "API v2"}});
  CHECK(updated["document"]["title"] == "API v2");
  CHECK(updated["document"]["content"] == json{{"body", "hello"}});  // untouched
  CHECK(s.ok("GET", "/api/projects/" + pid)["docs"][0]["title"] == "API v2");

  CHECK(s.ok("DELETE", "/api/projects/" + pid + "/docs/" + did)["message"] == "Document deleted successfully");
  auto gone = s.call("GET", "/api/projects/" + pid + "/docs/" + did);
  CHECK(gone.status == 404);
  CHECK(*gone.body_json == json{{"detail", "Document " + did + " not found"}});
  CHECK(s.call("DELETE", "/api/projects/" + pid + "/docs/" + did).status == 404);
  CHECK(s.call("PUT", "/api/projects/" + pid + "/docs/" + did, {{"title", "x"}}).status == 404);
  CHECK(s.call("GET", "/api/projects/nope/docs").status == 404);
  CHECK(s.call("POST", "/api/projects/" + pid + "/docs", {{"title", "x"}}).status == 422);
  CHECK(s.call("POST", "/api/projects/" + pid + "/docs",
               {{"title", "x"}, {"document_type", "note"}, {"content", "text"}}).status == 422);
}

TEST_CASE("versions: create, list, get, restore (which records who restored)") {
  Store s;
  const auto pid = s.project();
  s.ok("PUT", "/api/projects/" + pid, {{"data", {{"v", 1}}}});
  auto v1 = s.ok("POST", "/api/projects/" + pid + "/versions",
                 {{"field_name", "data"}, {"content", {{"v", 1}}}, {"change_summary", "first"}});
  CHECK(v1["message"] == "Version created successfully");
  CHECK(v1["version"]["version_number"] == 1);
  CHECK(v1["version"]["created_by"] == "system");
  s.ok("PUT", "/api/projects/" + pid, {{"data", {{"v", 2}}}});  // saves {"v":1} as version 2

  auto list = s.ok("GET", "/api/projects/" + pid + "/versions", nullptr, {{"field_name", "data"}});
  CHECK(list["total_count"] == 2);
  CHECK(list["versions"][0]["version_number"] == 2);  // newest first
  CHECK(list["field_name"] == "data");

  auto one = s.ok("GET", "/api/projects/" + pid + "/versions/data/1");
  CHECK(one["version_number"] == 1);
  CHECK(one["field_name"] == "data");
  CHECK(one["content"] == json{{"v", 1}});
  CHECK(one["version"]["change_summary"] == "first");

  auto restored = s.ok("POST", "/api/projects/" + pid + "/versions/data/1/restore",
                       {{"restored_by", "Ann"}});
  CHECK(restored["restored_version"] == 1);
  CHECK(restored["restored_by"] == "Ann");
  CHECK(restored["field_name"] == "data");
  CHECK(s.ok("GET", "/api/projects/" + pid)["data"] == json{{"v", 1}});
  auto after = s.ok("GET", "/api/projects/" + pid + "/versions", nullptr, {{"field_name", "data"}});
  CHECK(after["total_count"] == 3);
  CHECK(after["versions"][0]["created_by"] == "Ann");
  CHECK(after["versions"][0]["content"] == json{{"v", 2}});  // what the restore replaced

  // docs versions wrap the list in an object; restore unwraps it
  s.ok("POST", "/api/projects/" + pid + "/versions",
       {{"field_name", "docs"}, {"content", {{"docs", json::array({{{"id", "d1"}, {"title", "T"}}})}}}});
  s.ok("POST", "/api/projects/" + pid + "/versions/docs/1/restore", json::object());
  CHECK(s.ok("GET", "/api/projects/" + pid + "/docs")["total_count"] == 1);

  CHECK(s.call("POST", "/api/projects/" + pid + "/versions",
               {{"field_name", "data"}, {"content", json::array({1})}}).status == 422);
  CHECK(s.call("POST", "/api/projects/" + pid + "/versions",
               {{"field_name", "title"}, {"content", {{"a", 1}}}}).status == 422);
  auto missing = s.call("GET", "/api/projects/" + pid + "/versions/data/99");
  CHECK(missing.status == 404);
  CHECK(*missing.body_json == json{{"detail", "Version 99 not found for field data"}});
  CHECK(s.call("POST", "/api/projects/" + pid + "/versions/data/99/restore", json::object()).status == 404);
  CHECK(s.call("GET", "/api/projects/" + pid + "/versions/data/x").status == 422);
  CHECK(s.call("GET", "/api/projects/nope/versions").status == 404);
}
