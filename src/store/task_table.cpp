#include "mcpgate/store/task_table.hpp"

namespace mcpgate::store {

namespace {

// BIGINT: milliseconds since 1970 need 64 bits on PostgreSQL; SQLite reads it as INTEGER.
constexpr std::string_view tasks_schema = R"sql(
CREATE TABLE mcp_tasks (
  id          TEXT PRIMARY KEY,
  subject     TEXT NOT NULL,
  version     BIGINT NOT NULL,
  detail      TEXT NOT NULL,
  expires_ms  BIGINT NOT NULL
);
CREATE INDEX mcp_tasks_expires ON mcp_tasks(expires_ms);
)sql";

}  // namespace

Migration tasks_migration() {
  return Migration{7, "tasks any process on the store can look up", tasks_schema};
}

TaskTable::TaskTable(std::shared_ptr<Database> database) : database_(std::move(database)) {}

void TaskTable::put(const TaskRow& row) {
  database_->write([&](Connection& c) {
    c.prepare(
         "INSERT INTO mcp_tasks(id, subject, version, detail, expires_ms) VALUES(?, ?, ?, ?, ?) "
         "ON CONFLICT(id) DO UPDATE SET version = excluded.version, detail = excluded.detail, "
         "expires_ms = excluded.expires_ms WHERE mcp_tasks.version < excluded.version")
        .bind_all(row.id, row.subject, row.version, row.detail, row.expires_ms)
        .run();
  });
}

std::optional<TaskRow> TaskTable::find(const std::string& id, std::int64_t now_ms) {
  return database_->read([&](Connection& c) -> std::optional<TaskRow> {
    auto s = c.prepare(
        "SELECT id, subject, version, detail, expires_ms FROM mcp_tasks "
        "WHERE id = ? AND expires_ms >= ?");
    s.bind_all(id, now_ms);
    if (!s.step()) return std::nullopt;
    return TaskRow{.id = s.text(0),
                   .subject = s.text(1),
                   .version = s.int64(2),
                   .detail = s.text(3),
                   .expires_ms = s.int64(4)};
  });
}

std::size_t TaskTable::prune(std::int64_t now_ms) {
  return database_->write([&](Connection& c) {
    c.prepare("DELETE FROM mcp_tasks WHERE expires_ms < ?").bind(1, now_ms).run();
    return static_cast<std::size_t>(c.changes());
  });
}

}  // namespace mcpgate::store
