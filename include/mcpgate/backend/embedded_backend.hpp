// EmbeddedBackend: the Archon REST routes the tools call (/api/projects, /api/tasks, docs,
// versions, features, rag, pages, /api/health), answered in-process from one SQLite file
// instead of over HTTP, from an SQLite file or a PostgreSQL database (store/database.hpp). Same
// status codes and bodies as an Archon server, so the tools run the same code in both modes.
//
//   mcpgate::backend::EmbeddedBackend api("/home/me/.local/share/mcpgate/mcpgate.db");
//   auto r = api.request("GET", "/api/tasks", {{"status", "todo"}}, nullptr, {});
//
// Paths are given as the tools send them (segments may be percent-encoded); query values are
// raw. Answers never throw TransportError: a store failure becomes 500
// {"detail":{"error":...}}, and SQLITE_BUSY or a PostgreSQL serialization failure is retried
// inside the store so it never reaches a caller. Thread-safe: each call leases its own connection from the pool.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include "mcpgate/store/database.hpp"

#include <memory>
#include <string>

namespace mcpgate::backend {

// Opens the store (creating an SQLite file, migrating the schema) for another user of it than
// the routes: the session store (sessions/session_store.hpp). `location`: a file path, whose
// parent folder must exist, or a postgresql:// URI.
[[nodiscard]] std::shared_ptr<store::Database> open_store(const std::string& location,
                                                          const store::OpenOptions& options);

class EmbeddedBackend final : public Backend {
 public:
  // Opens (creating it and migrating its schema) the database: a file path, whose parent folder
  // must exist, or a postgresql:// URI. Throws with a clear message when it cannot be opened or
  // written, or was written by a newer mcpgate.
  explicit EmbeddedBackend(const std::string& location, const store::OpenOptions& options = {});
  ~EmbeddedBackend() override;

  EmbeddedBackend(const EmbeddedBackend&) = delete;
  EmbeddedBackend& operator=(const EmbeddedBackend&) = delete;

  // `timeouts` is ignored: nothing here waits on a network.
  Response request(std::string_view method, std::string_view path, const Query& query,
                   const json& body, const std::optional<Timeouts>& timeouts) override;

  // "embedded SQLite store at <path>", "embedded PostgreSQL store at <URI without password>".
  [[nodiscard]] std::string describe() const override;

  // The store, for tools that work on it directly (e.g. `mcpgate ingest`) and for tests.
  [[nodiscard]] store::Database& database();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::backend
