// The embedded store's schema, as the ordered list of migrations store::migrate() applies.
#pragma once

#include "mcpgate/store/database.hpp"

#include <vector>

namespace mcpgate::backend::embedded {

// Version 1: projects, tasks, document versions (the project/task tools).
// Version 2: knowledge sources, pages, chunks, code examples and their FTS5 indexes.
// Version 3: the records of sessions that outlive the process (store/session_table.hpp).
[[nodiscard]] std::vector<store::Migration> embedded_migrations();

}  // namespace mcpgate::backend::embedded
