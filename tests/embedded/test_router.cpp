// The embedded backend's Router and reply helpers, and EmbeddedBackend's health route.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/store/sqlite.hpp"
#include "router.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

using namespace mcpgate::backend;
using namespace mcpgate::backend::embedded;
using embedded_test::TempDir;

namespace {
Handler echo(std::string name) {
  return [name](const RouteRequest& r) {
    json params = r.params;
    return reply(200, json{{"route", name}, {"params", params}});
  };
}
}  // namespace

TEST_CASE("routes match by method and path, capturing decoded parameters") {
  Router router;
  router.add("GET", "/api/tasks/{id}", echo("get task"));
  router.add("PUT", "/api/tasks/{id}", echo("put task"));
  router.add("GET", "/api/projects/{pid}/docs/{did}", echo("get doc"));
  const Query none;

  auto r = router.dispatch("GET", "/api/tasks/abc", none, nullptr);
  CHECK(r.status == 200);
  CHECK(r.body_json->at("route") == "get task");
  CHECK(r.body_json->at("params") == json::array({"abc"}));
  CHECK(json::parse(r.body) == *r.body_json);

  r = router.dispatch("GET", "/api/projects/p%201/docs/a%2Fb", none, nullptr);
  CHECK(r.body_json->at("params") == json::array({"p 1", "a/b"}));  // %2F stays in its segment

  r = router.dispatch("PUT", "/api/tasks/abc/", none, nullptr);  // trailing slash
  CHECK(r.body_json->at("route") == "put task");
}

TEST_CASE("unknown paths are 404 and wrong methods 405, with FastAPI's bodies") {
  Router router;
  router.add("GET", "/api/tasks/{id}", echo("get task"));
  const Query none;
  auto r = router.dispatch("GET", "/api/nothing", none, nullptr);
  CHECK(r.status == 404);
  CHECK(*r.body_json == json{{"detail", "Not Found"}});
  r = router.dispatch("GET", "/api/tasks/a/b", none, nullptr);
  CHECK(r.status == 404);
  r = router.dispatch("DELETE", "/api/tasks/a", none, nullptr);
  CHECK(r.status == 405);
  CHECK(*r.body_json == json{{"detail", "Method Not Allowed"}});
}

TEST_CASE("literal segments win over parameters, whatever the order they were added in") {
  Router router;
  router.add("GET", "/api/pages/{id}", echo("by id"));
  router.add("GET", "/api/pages/by-url", echo("by url"));
  const Query none;
  CHECK(router.dispatch("GET", "/api/pages/by-url", none, nullptr).body_json->at("route") == "by url");
  CHECK(router.dispatch("GET", "/api/pages/p1", none, nullptr).body_json->at("route") == "by id");
}

TEST_CASE("query_value gives the first value of a parameter") {
  const Query query{{"a", "1"}, {"b", "2"}, {"a", "3"}};
  const json body;
  RouteRequest r{"GET", {}, query, body};
  CHECK(r.query_value("a") == "1");
  CHECK(r.query_value("b") == "2");
  CHECK_FALSE(r.query_value("c").has_value());
}

TEST_CASE("error helpers build Archon's two detail shapes") {
  CHECK(*detail_error(404, "Task not found").body_json == json{{"detail", "Task not found"}});
  const auto r = detail_object_error(500, "boom");
  CHECK(r.status == 500);
  CHECK(json::parse(r.body) == json{{"detail", {{"error", "boom"}}}});
}

TEST_CASE("EmbeddedBackend answers /api/health the way the server's probe expects") {
  TempDir dir;
  EmbeddedBackend backend(dir.file("store.db"));
  const auto r = backend.request("GET", "/api/health", {}, nullptr, std::nullopt);
  CHECK(r.ok());
  REQUIRE(r.body_json);
  CHECK(r.body_json->at("status") == "healthy");
  CHECK(r.body_json->at("service") == "mcpgate-embedded");
  CHECK(r.body_json->at("ready") == true);
  CHECK(r.body_json->at("schema_version").get<int>() >= 1);
  CHECK(r.body_json->at("timestamp").get<std::string>().size() == 32);
  CHECK(backend.describe() == "embedded SQLite store at " + dir.file("store.db").string());
  CHECK(backend.request("GET", "/api/nope", {}, nullptr, std::nullopt).status == 404);
}

TEST_CASE("EmbeddedBackend refuses a file written by a newer mcpgate") {
  TempDir dir;
  {
    mcpgate::store::SqliteConnection c(dir.file("new.db"), {});
    c.exec("PRAGMA user_version = 999");
  }
  try {
    EmbeddedBackend backend(dir.file("new.db"));
    FAIL("expected an error");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("newer") != std::string::npos);
  }
}
