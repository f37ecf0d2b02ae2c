// The SQLite engine of the store (store/database.hpp): connections with cached prepared
// statements, transactions, versioned migrations (PRAGMA user_version), and the Driver a
// Database pools them with. Database::write() retries SQLITE_BUSY so that lock contention never
// reaches a client.
//
// Durability. Connections run in WAL mode with synchronous=FULL: a commit that returned is on
// disk and survives SIGKILL and power loss (OpenOptions::durability may settle for SIGKILL).
#pragma once

#include "mcpgate/store/database.hpp"

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;

namespace mcpgate::store {

// An SQLite call failed. The message holds sqlite3_errmsg and the first words of the SQL (or
// the file name for an open failure). Retryable when busy().
class SqliteError : public StoreError {
 public:
  SqliteError(int extended_code, const std::string& message);
  [[nodiscard]] int code() const noexcept { return extended_code_ & 0xFF; }  // SQLITE_BUSY, ...
  [[nodiscard]] int extended_code() const noexcept { return extended_code_; }
  [[nodiscard]] bool busy() const noexcept;  // SQLITE_BUSY or SQLITE_LOCKED

 private:
  int extended_code_;
};

// One open database file. Used by one thread at a time.
class SqliteConnection final : public Connection {
 public:
  // Opens (creating when allowed) with SQLITE_OPEN_CREATE|READWRITE|NOMUTEX|URI, then sets
  // busy_timeout, journal_mode=WAL, synchronous (FULL, or NORMAL; see OpenOptions::durability)
  // and foreign_keys=ON, and registers the SQL function casefold(x): util::fold_case of x's
  // text, NULL for NULL (SQLite's lower() and LIKE fold ASCII only; compare casefold(column)
  // with a needle folded the same way). Throws SqliteError naming the file when it cannot be
  // opened.
  SqliteConnection(const std::filesystem::path& path, const OpenOptions& options);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection() override;

  Statement prepare(std::string_view sql) override;
  void exec(std::string_view sql) override;
  [[nodiscard]] int changes() const override;
  [[nodiscard]] bool in_transaction() const override;  // false in autocommit mode
  void begin(TransactionMode mode) override;           // BEGIN DEFERRED / BEGIN IMMEDIATE
  void commit() override;
  void rollback() noexcept override;

  [[nodiscard]] std::int64_t last_insert_rowid() const;
  sqlite3* handle();

  struct Cache;  // idle prepared statements, by SQL text

 private:
  sqlite3* db_ = nullptr;
  std::shared_ptr<Cache> cache_;
};

// Applies, each in its own immediate transaction, every migration whose version is above
// PRAGMA user_version, in version order, and sets user_version to it. Throws std::runtime_error
// when the file's version is newer than the newest migration given (a database written by a
// newer mcpgate), and SqliteError (naming the migration) when one fails.
void migrate(SqliteConnection& connection, std::span<const Migration> migrations);

// Connections to one file. The parent folder must exist.
[[nodiscard]] std::unique_ptr<Driver> sqlite_driver(std::filesystem::path path, OpenOptions options);

}  // namespace mcpgate::store
