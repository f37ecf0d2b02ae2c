// A real EmbeddedBackend on a fresh store (a temporary SQLite file, or a new PostgreSQL database
// when the suite runs as its _pg twin: test_store.hpp), with shorthands for calling its routes.
#pragma once

#include "mcpgate/backend/embedded_backend.hpp"
#include "temp_dir.hpp"
#include "test_store.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace embedded_test {

using json = nlohmann::json;
using mcpgate::backend::Query;
using mcpgate::backend::Response;

struct Store {
  TempDir dir;
  std::shared_ptr<mcpgate::backend::EmbeddedBackend> backend =
      std::make_shared<mcpgate::backend::EmbeddedBackend>(test_support::fresh_store(dir.file("store.db")));

  Response call(const std::string& method, const std::string& path, const json& body = nullptr,
                const Query& query = {}) {
    auto r = backend->request(method, path, query, body, std::nullopt);
    REQUIRE_MESSAGE(r.body_json.has_value(), method << " " << path << ": " << r.body);
    return r;
  }
  json ok(const std::string& method, const std::string& path, const json& body = nullptr,
          const Query& query = {}) {
    auto r = call(method, path, body, query);
    REQUIRE_MESSAGE(r.status == 200, method << " " << path << " -> " << r.status << " " << r.body);
    return *r.body_json;
  }
  std::string project(const std::string& title = "Demo") {
    return ok("POST", "/api/projects", {{"title", title}})["project_id"].get<std::string>();
  }
  std::string task(const std::string& project_id, const std::string& title, json extra = json::object()) {
    extra["project_id"] = project_id;
    extra["title"] = title;
    return ok("POST", "/api/tasks", extra)["task"]["id"].get<std::string>();
  }
};

}  // namespace embedded_test
