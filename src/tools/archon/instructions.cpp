#include "mcpgate/tools/archon/instructions.hpp"

namespace mcpgate::tools::archon {

std::string_view instructions() {
  return R"(# Working with this server

This server holds the project's plan (projects, tasks, documents, versions) and a searchable
knowledge base of documentation and code examples. Use it as the source of truth for what to
work on and as your first stop for research.

## Task loop
1. Pick work: `find_tasks` with `filter_by="status"`, `filter_value="todo"` (add `project_id`
   to stay within one project). Read the full task with `find_tasks(task_id=...)`.
2. Claim it: `manage_task(action="update", task_id=..., status="doing")`. Keep only one task
   in `doing` at a time.
3. Research (below), then implement.
4. Hand it over: `manage_task(action="update", task_id=..., status="review")`. Tasks move
   todo → doing → review → done.
5. Take the next `todo` task. Create follow-up tasks with `manage_task(action="create", ...)`
   when you discover work; keep each task small enough for a few hours.

## Research before you write code
- `rag_get_available_sources` lists what the knowledge base holds; note the `source_id`.
- `rag_search_knowledge_base(query=..., source_id=..., match_count=5)` finds documentation;
  `rag_search_code_examples` finds code. Queries work best as 2–5 keywords
  ("streamable http session", not a full sentence).
- `rag_list_pages_for_source` and `rag_read_full_page` open a whole page when a snippet is
  not enough.

## Projects and documents
- `find_projects` and `manage_project` list, create and update projects;
  `get_project_features` shows a project's features.
- `find_documents` and `manage_document` keep specs, designs and notes with a project;
  `find_versions` and `manage_version` keep and restore earlier versions of project fields.

## Health
- `health_check` tells whether the server and its backend are up; `session_info` shows open
  sessions. Every tool answers JSON with `success`; on failure `error` explains what happened
  and usually suggests what to do.
)";
}

tools::Resource instructions_resource() {
  return tools::Resource{
      .uri = std::string(instructions_uri),
      .name = "instructions",
      .description = "How to use this server's tools together (the instructions sent in "
                     "initialize)",
      .mime_type = "text/markdown",
      .subscribable = false,
      .read = [] {
        return tools::json::array({{{"uri", std::string(instructions_uri)},
                                       {"mimeType", "text/markdown"},
                                       {"text", std::string(instructions())}}});
      }};
}

}  // namespace mcpgate::tools::archon
