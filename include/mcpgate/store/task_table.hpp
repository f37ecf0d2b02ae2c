// The tasks table: the last known state of each task (the tasks extension of MCP 2026-07-28)
// that a process on this store runs, so that a tasks/get landing on another process (a
// round-robin proxy, no affinity) sees it. The process running the task writes its row after
// each change; the others only read it (they hand updates and cancellations to that process
// through the peer events). Rows are written with a per-task version: a write never replaces
// a newer one, whatever order two threads' writes reach the store in.
//
// Every method is safe from any thread (each takes a connection from the Database's pool) and
// is one short transaction.
#pragma once

#include "mcpgate/store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mcpgate::store {

struct TaskRow {
  std::string id;
  std::string subject;          // the OAuth subject that created it; "" without OAuth
  std::int64_t version = 0;     // increases with each change of the task
  std::string detail;           // compact JSON: the task as tasks/get shows it
  std::int64_t expires_ms = 0;  // Unix time, milliseconds: the row is gone after it
};

// Migration 7 of the store.
[[nodiscard]] Migration tasks_migration();

class TaskTable {
 public:
  explicit TaskTable(std::shared_ptr<Database> database);

  // Writes the row unless the store holds a newer version of it.
  void put(const TaskRow& row);
  // The row, unless it expired before `now_ms`.
  [[nodiscard]] std::optional<TaskRow> find(const std::string& id, std::int64_t now_ms);
  // Deletes rows that expired before `now_ms`; how many.
  std::size_t prune(std::int64_t now_ms);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace mcpgate::store
