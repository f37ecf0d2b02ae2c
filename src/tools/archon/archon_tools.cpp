#include "mcpgate/tools/archon/archon_tools.hpp"

#include "tool_support.hpp"

#include <stdexcept>

namespace mcpgate::tools::archon {

void register_archon_tools(ToolRegistry& registry, std::shared_ptr<backend::Backend> backend,
                           ArchonToolOptions options) {
  if (!backend) throw std::invalid_argument("register_archon_tools: backend is null");
  // Archon's module order: RAG, projects, tasks, documents, versions, features.
  detail::register_rag_tools(registry, backend, options);
  detail::register_project_tools(registry, backend, options);
  detail::register_task_tools(registry, backend, options);
  detail::register_document_tools(registry, backend, options);
  detail::register_version_tools(registry, backend, options);
  detail::register_feature_tools(registry, backend, options);
}

}  // namespace mcpgate::tools::archon
