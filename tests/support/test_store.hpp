// Which store a suite's EmbeddedBackend runs on, so that one test source runs against both:
// meson registers the route, tool and knowledge suites twice, once plain (a fresh SQLite file
// per test) and once as NAME_pg with MCPGATE_TEST_STORE=postgresql (a fresh database per test
// on the process's throwaway PostgreSQL, tests/support/pg_cluster.hpp).
#pragma once

#include "pg_cluster.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace test_support {

inline bool testing_postgresql() {
  const char* store = std::getenv("MCPGATE_TEST_STORE");
  return store && std::string_view(store) == "postgresql";
}

// A new, empty store: `sqlite_file` (which must not exist yet), or a new PostgreSQL database.
inline std::string fresh_store(const std::filesystem::path& sqlite_file) {
  if (testing_postgresql()) return PgCluster::shared().create_database();
  return sqlite_file.string();
}

}  // namespace test_support
