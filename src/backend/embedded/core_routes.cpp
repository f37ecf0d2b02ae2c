// Registers the core groups' routes: health here, the rest in one file per group.
#include "core_routes.hpp"

#include "mcpgate/store/database.hpp"
#include "values.hpp"

namespace mcpgate::backend::embedded {

namespace {

// GET /api/health: Archon's health shape. Reads the schema version, so a store that cannot
// answer a query reports 503 instead of "healthy".
void add_health_route(Router& router, store::Database& database) {
  router.add("GET", "/api/health", [&database](const RouteRequest&) {
    try {
      const auto version = database.schema_version();
      return reply(200, json{{"status", "healthy"},
                             {"service", "mcpgate-embedded"},
                             {"timestamp", now_timestamp()},
                             {"ready", true},
                             {"storage", std::string(database.kind())},
                             {"schema_version", version}});
    } catch (const std::exception& e) {
      return reply(503, json{{"status", "unhealthy"},
                             {"service", "mcpgate-embedded"},
                             {"timestamp", now_timestamp()},
                             {"ready", false},
                             {"error", e.what()}});
    }
  });
}

}  // namespace

void add_core_routes(Router& router, store::Database& database) {
  add_health_route(router, database);
  add_project_routes(router, database);
  add_task_routes(router, database);
  add_document_routes(router, database);
  add_version_routes(router, database);
}

}  // namespace mcpgate::backend::embedded
