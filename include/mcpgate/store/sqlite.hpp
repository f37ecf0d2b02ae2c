// A small RAII layer over the SQLite C API: connections, cached prepared statements,
// transactions, versioned migrations, and a thread-safe pool (Database) whose write() retries
// SQLITE_BUSY so that lock contention never reaches a client.
//
//   store::Database db(path, migrations);
//   db.write([&](store::Connection& c) {
//     c.prepare("INSERT INTO tasks(id, title) VALUES(?, ?)").bind_all(id, title).run();
//   });
//   auto n = db.read([](store::Connection& c) {
//     auto s = c.prepare("SELECT count(*) FROM tasks");
//     s.step();
//     return s.int64(0);
//   });
//
// Threading. A Connection (and its Statements) is used by one thread at a time: a Lease from
// the Database gives a thread exclusive use of one until the lease ends. Database itself is
// thread-safe; its mutex guards only the idle list, never a query.
//
// Durability. Connections run in WAL mode with synchronous=FULL: a commit that returned is on
// disk and survives SIGKILL and power loss (OpenOptions::durability may settle for SIGKILL).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mcpgate::store {

// An SQLite call failed. The message holds sqlite3_errmsg and the first words of the SQL (or
// the file name for an open failure).
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int extended_code, const std::string& message);
  [[nodiscard]] int code() const noexcept { return extended_code_ & 0xFF; }  // SQLITE_BUSY, ...
  [[nodiscard]] int extended_code() const noexcept { return extended_code_; }
  [[nodiscard]] bool busy() const noexcept;        // SQLITE_BUSY or SQLITE_LOCKED
  [[nodiscard]] bool constraint() const noexcept;  // SQLITE_CONSTRAINT (any kind)

 private:
  int extended_code_;
};

class Connection;

// One prepared statement. Move-only. Statements come from Connection::prepare, which keeps
// them in a per-connection cache: destroying a Statement resets it, clears its bindings and
// hands it back to the cache. A Statement must not outlive its Connection.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameter indexes start at 1, as in SQLite.
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value);
  Statement& bind(int index, bool value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);  // copied (SQLITE_TRANSIENT)
  Statement& bind(int index, const char* value);       // nullptr binds NULL
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    return bind(index, nullptr);
  }
  // Binds the values to parameters 1..N in order.
  template <class... A>
  Statement& bind_all(const A&... values) {
    int index = 0;
    (bind(++index, values), ...);
    return *this;
  }

  bool step();   // true: a row is available; false: done. Throws SqliteError.
  void run();    // steps until done (for statements without rows)
  void reset();  // reset and clear bindings, for reuse

  [[nodiscard]] bool is_null(int col) const;
  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] std::string text(int col) const;  // "" for NULL
  [[nodiscard]] std::optional<std::string> opt_text(int col) const;
  [[nodiscard]] int column_count() const;

 private:
  friend class Connection;
  struct Cache;
  Statement(sqlite3_stmt* stmt, std::string sql, std::shared_ptr<Cache> cache);
  void release() noexcept;

  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  std::shared_ptr<Cache> cache_;  // where the statement goes back to; null: finalize
};

struct OpenOptions {
  bool read_only = false;
  std::chrono::milliseconds busy_timeout{5000};
  // Database::write/read: how long a transaction that keeps hitting SQLITE_BUSY (each attempt
  // already waiting up to busy_timeout) is retried before the error is thrown.
  std::chrono::milliseconds retry_deadline{60000};
  // Database: idle connections kept in the pool; more are closed when their lease ends.
  std::size_t max_idle_connections = 16;
  // What a commit that returned survives: power loss (synchronous=FULL: an fsync per commit),
  // or the death of the process, SIGKILL included (synchronous=NORMAL, which in WAL mode syncs
  // only at checkpoints: for data whose loss costs little, written often).
  enum class Durability { power_loss, process_death };
  Durability durability = Durability::power_loss;
};

// One open database connection. Move-only; used by one thread at a time.
class Connection {
 public:
  // Opens (creating when allowed) with SQLITE_OPEN_CREATE|READWRITE|NOMUTEX|URI, then sets
  // busy_timeout, journal_mode=WAL, synchronous (FULL, or NORMAL; see OpenOptions::durability) and foreign_keys=ON, and registers the SQL
  // function casefold(x): util::fold_case of x's text, NULL for NULL (SQLite's lower() and LIKE
  // fold ASCII only; compare casefold(column) with a needle folded the same way).
  // Throws SqliteError naming the file when it cannot be opened.
  Connection(const std::filesystem::path& path, const OpenOptions& options);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Statement prepare(std::string_view sql);  // one statement; cached by its text
  void exec(std::string_view sql);          // several statements allowed, rows ignored
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] bool in_transaction() const;  // false in autocommit mode
  sqlite3* handle();

 private:
  void close() noexcept;

  sqlite3* db_ = nullptr;
  std::shared_ptr<Statement::Cache> cache_;
};

// BEGIN IMMEDIATE (a writer: takes the write lock at once, so it cannot fail later with BUSY
// on an upgrade) or BEGIN DEFERRED (a reader: a consistent snapshot). Rolls back in the
// destructor unless commit() succeeded.
class Transaction {
 public:
  enum class Mode { deferred, immediate };
  Transaction(Connection& connection, Mode mode);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Applies, each in its own immediate transaction, every migration whose version is above
// PRAGMA user_version, in version order, and sets user_version to it. Throws std::runtime_error
// when the file's version is newer than the newest migration given (a database written by a
// newer mcpgate), and SqliteError (naming the migration) when one fails.
void migrate(Connection& connection, std::span<const Migration> migrations);

// A pool of Connections to one file; thread-safe.
class Database {
 public:
  // Opens the first connection, runs migrate(), and keeps it in the pool. Throws on failure.
  Database(std::filesystem::path path, std::vector<Migration> migrations, OpenOptions options = {});
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Exclusive use of one connection; gives it back to the pool on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    friend class Database;
    Lease(Database* owner, std::unique_ptr<Connection> connection);
    Database* owner_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle connection, or a new one (the pool grows with demand; up to max_idle_connections
  // idle ones are kept).
  Lease lease();

  // Runs f(Connection&) inside BEGIN IMMEDIATE ... COMMIT and returns its result. When the
  // transaction hits SQLITE_BUSY/LOCKED (after busy_timeout), it is rolled back and the whole
  // of f is run again, with growing pauses, until retry_deadline: f must therefore only touch
  // the database and its own locals. Any other exception rolls back and propagates.
  template <class F>
  auto write(F&& f) -> decltype(f(std::declval<Connection&>())) {
    return with_retry(Transaction::Mode::immediate, f);
  }

  // Runs f(Connection&) in a deferred read transaction (one consistent snapshot).
  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<Connection&>())) {
    return with_retry(Transaction::Mode::deferred, f);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::size_t idle_connections() const;

 private:
  template <class F>
  auto with_retry(Transaction::Mode mode, F& f) -> decltype(f(std::declval<Connection&>())) {
    const auto deadline = std::chrono::steady_clock::now() + options_.retry_deadline;
    for (int attempt = 0;; ++attempt) {
      try {
        auto connection = lease();
        Transaction transaction(*connection, mode);
        if constexpr (std::is_void_v<decltype(f(*connection))>) {
          f(*connection);
          transaction.commit();
          return;
        } else {
          auto result = f(*connection);
          transaction.commit();
          return result;
        }
      } catch (const SqliteError& e) {
        if (!e.busy() || std::chrono::steady_clock::now() >= deadline) throw;
      }
      std::this_thread::sleep_for(retry_pause(attempt));
    }
  }
  static std::chrono::milliseconds retry_pause(int attempt);
  void give_back(std::unique_ptr<Connection> connection) noexcept;

  std::filesystem::path path_;
  OpenOptions options_;
  mutable std::mutex mutex_;  // guards idle_ only
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace mcpgate::store
