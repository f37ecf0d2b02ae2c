// Archon's 14 backend tools (RAG, projects, tasks, documents, versions, features), answered by
// calling Archon's REST API through backend::Backend. Names, parameters, REST calls and JSON
// envelopes follow Archon's Python MCP server (the README's "Differences from Archon" lists the
// quirks fixed on purpose).
#pragma once

#include "mcpgate/backend/backend.hpp"
#include "mcpgate/tools/registry.hpp"

#include <chrono>
#include <memory>

namespace mcpgate::tools::archon {

// Only used when POST /api/projects answers with a `progress_id` (asynchronous creation): the
// tool then polls GET /api/progress/{id}, sleeping min(base * 2^n, max) before poll n.
struct ProjectPolling {
  int max_attempts = 30;
  std::chrono::milliseconds base_interval{1000};
  std::chrono::milliseconds max_interval{5000};
  backend::Timeouts timeouts{std::chrono::seconds(5), std::chrono::seconds(30),
                             std::chrono::seconds(60)};
};

struct ArchonToolOptions {
  // Projects, tasks, documents, versions and features (Archon: connect 5 s, read 20 s).
  backend::Timeouts api{std::chrono::seconds(5), std::chrono::seconds(20),
                        std::chrono::seconds(30)};
  // The rag_* tools (Archon: 30 s overall, connect 5 s).
  backend::Timeouts rag{std::chrono::seconds(5), std::chrono::seconds(30),
                        std::chrono::seconds(30)};
  ProjectPolling project_polling;
};

// Registers, in Archon's order: rag_get_available_sources, rag_search_knowledge_base,
// rag_search_code_examples, rag_list_pages_for_source, rag_read_full_page, find_projects,
// manage_project, find_tasks, manage_task, find_documents, manage_document, find_versions,
// manage_version, get_project_features.
void register_archon_tools(ToolRegistry& registry, std::shared_ptr<backend::Backend> backend,
                           ArchonToolOptions options = {});

}  // namespace mcpgate::tools::archon
