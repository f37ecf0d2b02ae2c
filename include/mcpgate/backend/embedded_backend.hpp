// EmbeddedBackend: the Archon REST routes the tools call (/api/projects, /api/tasks, docs,
// versions, features, rag, pages, /api/health), answered in-process from one SQLite file
// instead of over HTTP. Same status codes and bodies as an Archon server, so the tools run the
// same code in both modes.
//
//   mcpgate::backend::EmbeddedBackend api("/home/me/.local/share/mcpgate/mcpgate.db");
//   auto r = api.request("GET", "/api/tasks", {{"status", "todo"}}, nullptr, {});
//
// Paths are given as the tools send them (segments may be percent-encoded); query values are
// raw. Answers never throw TransportError: a store failure becomes 500
// {"detail":{"error":...}}, and SQLITE_BUSY is retried inside the store so it never reaches a
// caller. Thread-safe: each call leases its own connection from the pool.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <filesystem>
#include <memory>

namespace mcpgate::store {
class Database;
struct OpenOptions;
}

namespace mcpgate::backend {

// Opens the store's SQLite file (creating it, migrating its schema) for another user of it than
// the routes: the session store (sessions/session_store.hpp). The parent folder must exist.
[[nodiscard]] std::shared_ptr<store::Database> open_store(const std::filesystem::path& data_path,
                                                          const store::OpenOptions& options);

class EmbeddedBackend final : public Backend {
 public:
  // Opens (creating it and migrating its schema) the database file. The parent folder must
  // exist. Throws with a clear message when the file cannot be opened or written, or was
  // written by a newer mcpgate.
  explicit EmbeddedBackend(std::filesystem::path data_path);
  ~EmbeddedBackend() override;

  EmbeddedBackend(const EmbeddedBackend&) = delete;
  EmbeddedBackend& operator=(const EmbeddedBackend&) = delete;

  // `timeouts` is ignored: nothing here waits on a network.
  Response request(std::string_view method, std::string_view path, const Query& query,
                   const json& body, const std::optional<Timeouts>& timeouts) override;

  // "embedded SQLite store at <path>".
  [[nodiscard]] std::string describe() const override;

  // The store, for tools that work on it directly (e.g. `mcpgate ingest`) and for tests.
  [[nodiscard]] store::Database& database();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::backend
