// The core route groups (projects with features, tasks, project documents, versions), one file
// each; add_core_routes() in core_routes.cpp registers them all with /api/health.
#pragma once

#include "router.hpp"

namespace mcpgate::backend::embedded {

void add_project_routes(Router& router, store::Database& database);   // + /features, /tasks list
void add_task_routes(Router& router, store::Database& database);
void add_document_routes(Router& router, store::Database& database);
void add_version_routes(Router& router, store::Database& database);

}  // namespace mcpgate::backend::embedded
