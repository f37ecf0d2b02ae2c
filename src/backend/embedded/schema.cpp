#include "schema.hpp"

#include "mcpgate/knowledge/store.hpp"
#include "mcpgate/store/peer_event_table.hpp"
#include "mcpgate/store/session_table.hpp"
#include "mcpgate/store/task_table.hpp"

namespace mcpgate::backend::embedded {

namespace {

// Projects keep docs, features, data and prd as JSON text, as Archon keeps them in JSONB
// columns: the tools read and write them whole, and the documents routes edit entries of the
// docs array inside one write transaction. Timestamps are ISO-8601 UTC text of one fixed
// format, so text order is time order.
constexpr std::string_view core_schema = R"sql(
CREATE TABLE projects (
  id                TEXT PRIMARY KEY,
  title             TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  github_repo       TEXT,
  docs              TEXT NOT NULL DEFAULT '[]',
  features          TEXT NOT NULL DEFAULT '[]',
  data              TEXT NOT NULL DEFAULT '[]',
  prd               TEXT NOT NULL DEFAULT '{}',
  technical_sources TEXT NOT NULL DEFAULT '[]',
  business_sources  TEXT NOT NULL DEFAULT '[]',
  pinned            INTEGER NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);

CREATE TABLE tasks (
  id             TEXT PRIMARY KEY,
  project_id     TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  parent_task_id TEXT,
  title          TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL DEFAULT 'todo'
                 CHECK (status IN ('todo', 'doing', 'review', 'done')),
  assignee       TEXT NOT NULL DEFAULT 'User',
  task_order     INTEGER NOT NULL DEFAULT 0,
  priority       TEXT NOT NULL DEFAULT 'medium'
                 CHECK (priority IN ('low', 'medium', 'high', 'critical')),
  feature        TEXT,
  sources        TEXT NOT NULL DEFAULT '[]',
  code_examples  TEXT NOT NULL DEFAULT '[]',
  archived       INTEGER NOT NULL DEFAULT 0,
  archived_at    TEXT,
  archived_by    TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX tasks_by_project ON tasks(project_id, archived, task_order);
CREATE INDEX tasks_by_status ON tasks(status, archived);

-- Snapshots of a project's JSON fields (docs, features, data, prd); restore copies one back.
CREATE TABLE document_versions (
  id             TEXT PRIMARY KEY,
  project_id     TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  field_name     TEXT NOT NULL,
  version_number INTEGER NOT NULL,
  content        TEXT NOT NULL,
  change_summary TEXT,
  change_type    TEXT NOT NULL DEFAULT 'update',
  document_id    TEXT,
  created_by     TEXT NOT NULL DEFAULT 'system',
  created_at     TEXT NOT NULL,
  UNIQUE (project_id, field_name, version_number)
);
)sql";

// The same tables in PostgreSQL (its INTEGER is 32 bits: BIGINT keeps SQLite's 64), and the two
// SQL functions the routes call that PostgreSQL 15 lacks (store/postgres.hpp says why casefold
// is lower(upper()) under ICU's root locale).
constexpr std::string_view core_schema_postgresql = R"sql(
CREATE TABLE projects (
  id                TEXT PRIMARY KEY,
  title             TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  github_repo       TEXT,
  docs              TEXT NOT NULL DEFAULT '[]',
  features          TEXT NOT NULL DEFAULT '[]',
  data              TEXT NOT NULL DEFAULT '[]',
  prd               TEXT NOT NULL DEFAULT '{}',
  technical_sources TEXT NOT NULL DEFAULT '[]',
  business_sources  TEXT NOT NULL DEFAULT '[]',
  pinned            BIGINT NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);

CREATE TABLE tasks (
  id             TEXT PRIMARY KEY,
  project_id     TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  parent_task_id TEXT,
  title          TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL DEFAULT 'todo'
                 CHECK (status IN ('todo', 'doing', 'review', 'done')),
  assignee       TEXT NOT NULL DEFAULT 'User',
  task_order     BIGINT NOT NULL DEFAULT 0,
  priority       TEXT NOT NULL DEFAULT 'medium'
                 CHECK (priority IN ('low', 'medium', 'high', 'critical')),
  feature        TEXT,
  sources        TEXT NOT NULL DEFAULT '[]',
  code_examples  TEXT NOT NULL DEFAULT '[]',
  archived       BIGINT NOT NULL DEFAULT 0,
  archived_at    TEXT,
  archived_by    TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX tasks_by_project ON tasks(project_id, archived, task_order);
CREATE INDEX tasks_by_status ON tasks(status, archived);

-- Snapshots of a project's JSON fields (docs, features, data, prd); restore copies one back.
CREATE TABLE document_versions (
  id             TEXT PRIMARY KEY,
  project_id     TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  field_name     TEXT NOT NULL,
  version_number BIGINT NOT NULL,
  content        TEXT NOT NULL,
  change_summary TEXT,
  change_type    TEXT NOT NULL DEFAULT 'update',
  document_id    TEXT,
  created_by     TEXT NOT NULL DEFAULT 'system',
  created_at     TEXT NOT NULL,
  UNIQUE (project_id, field_name, version_number)
);
CREATE FUNCTION casefold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT translate(lower(upper($1 COLLATE "und-x-icu")), 'ς', 'σ') $$;
CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT strpos($1, $2) $$;
)sql";

}  // namespace

std::vector<store::Migration> embedded_migrations() {
  return {
      store::Migration{1, "projects, tasks, document versions", core_schema, core_schema_postgresql},
      knowledge::knowledge_migration(),
      store::sessions_migration(),
      knowledge::knowledge_web_migration(),
      store::session_subject_migration(),
      store::peer_events_migration(),
      store::tasks_migration(),
  };
}

}  // namespace mcpgate::backend::embedded
