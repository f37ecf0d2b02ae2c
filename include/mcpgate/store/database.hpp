// The store's SQL seam, which both engines implement: SQLite (store/sqlite.hpp, a file, the
// default) and PostgreSQL (store/postgres.hpp, `--data postgresql://...`, for several
// instances on several hosts). The routes, the knowledge base and the session table write one
// SQL text for both and run unchanged on either.
//
//   store::Database db(location, migrations);   // a file path, or a postgresql:// URI
//   db.write([&](store::Connection& c) {
//     c.prepare("INSERT INTO tasks(id, title) VALUES(?, ?)").bind_all(id, title).run();
//   });
//   auto n = db.read([](store::Connection& c) {
//     auto s = c.prepare("SELECT count(*) FROM tasks");
//     s.step();
//     return s.int64(0);
//   });
//
// The shared dialect. Parameters are SQLite's `?` and `?N` (PostgreSQL's connection rewrites
// them to `$N`); upserts are `INSERT ... ON CONFLICT(...) DO UPDATE`; booleans are integers
// 0/1; timestamps are fixed-width ISO-8601 UTC text written by the application (text order is
// time order, on both); new integer keys come back with `RETURNING id`. Two SQL functions
// exist on both: casefold(text) (Unicode case folding, see store/postgres.hpp for how
// PostgreSQL does it) and instr(haystack, needle). What cannot be said once (full-text search,
// the schema's column types) is written twice: a Migration carries PostgreSQL's text beside
// SQLite's, and the knowledge base picks its search query by Database::kind().
//
// Threading. A Connection (and its Statements) is used by one thread at a time: a Lease from
// the Database gives a thread exclusive use of one until the lease ends. Database itself is
// thread-safe; its mutex guards only the pool's bookkeeping, never a query.
//
// Durability. A write() that returned is committed: SQLite with synchronous=FULL (or NORMAL,
// see OpenOptions::durability), PostgreSQL with its default synchronous_commit=on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace mcpgate::store {

// A store call failed. retryable(): the transaction was rolled back for a reason another
// attempt may not meet (SQLite busy, PostgreSQL serialization failure or deadlock, a dropped
// PostgreSQL connection before COMMIT): Database::write/read run it again. The message never
// holds a password.
class StoreError : public std::runtime_error {
 public:
  struct Traits {
    bool retryable = false;
    bool constraint = false;  // a constraint (unique, foreign key, check, not null) refused it
  };
  StoreError(const std::string& message, Traits traits) : std::runtime_error(message), traits_(traits) {}
  [[nodiscard]] bool retryable() const noexcept { return traits_.retryable; }
  [[nodiscard]] bool constraint() const noexcept { return traits_.constraint; }

 private:
  Traits traits_;
};

// One engine's prepared statement, behind Statement. Parameter indexes start at 1, columns at 0.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind_null(int index) = 0;
  virtual void bind_int64(int index, std::int64_t value) = 0;
  virtual void bind_real(int index, double value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;  // copied
  virtual bool step() = 0;
  virtual void reset() = 0;
  [[nodiscard]] virtual bool is_null(int col) const = 0;
  [[nodiscard]] virtual std::int64_t int64(int col) const = 0;
  [[nodiscard]] virtual double real(int col) const = 0;
  [[nodiscard]] virtual std::string text(int col) const = 0;
  [[nodiscard]] virtual int column_count() const = 0;
  // The Statement is done with it: back into its connection's cache, or deleted.
  virtual void recycle() noexcept = 0;
};

// One prepared statement. Move-only. Statements come from Connection::prepare, which keeps
// them in a per-connection cache: destroying a Statement resets it, clears its bindings and
// hands it back to the cache. A Statement must not outlive its Connection's lease.
class Statement {
 public:
  explicit Statement(StatementImpl* impl) noexcept : impl_(impl) {}
  Statement(Statement&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      if (impl_) impl_->recycle();
      impl_ = std::exchange(other.impl_, nullptr);
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    if (impl_) impl_->recycle();
  }

  Statement& bind(int index, std::nullptr_t) { return impl_->bind_null(index), *this; }
  Statement& bind(int index, std::int64_t value) { return impl_->bind_int64(index, value), *this; }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  Statement& bind(int index, double value) { return impl_->bind_real(index, value), *this; }
  Statement& bind(int index, std::string_view value) { return impl_->bind_text(index, value), *this; }
  Statement& bind(int index, const char* value) {  // nullptr binds NULL
    return value ? bind(index, std::string_view(value)) : bind(index, nullptr);
  }
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

  bool step() { return impl_->step(); }  // true: a row is available; false: done. Throws StoreError.
  void run() {                            // steps until done (for statements without rows)
    while (step()) {
    }
  }
  void reset() { impl_->reset(); }  // reset and clear bindings, for reuse

  [[nodiscard]] bool is_null(int col) const { return impl_->is_null(col); }
  [[nodiscard]] std::int64_t int64(int col) const { return impl_->int64(col); }
  [[nodiscard]] double real(int col) const { return impl_->real(col); }
  [[nodiscard]] std::string text(int col) const { return impl_->text(col); }  // "" for NULL
  [[nodiscard]] std::optional<std::string> opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
  }
  [[nodiscard]] int column_count() const { return impl_->column_count(); }

 private:
  StatementImpl* impl_;
};

// deferred: a reader's consistent snapshot (SQLite BEGIN DEFERRED; PostgreSQL REPEATABLE READ).
// immediate: a writer that behaves as if alone (SQLite BEGIN IMMEDIATE takes the write lock at
// once; PostgreSQL SERIALIZABLE, whose conflicts come back as retryable errors), so the routes'
// read-modify-write of a project's documents never loses a concurrent edit on either engine.
enum class TransactionMode { deferred, immediate };

// One open connection. Used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Statement prepare(std::string_view sql) = 0;  // one statement; cached by its text
  virtual void exec(std::string_view sql) = 0;          // several statements allowed, rows ignored
  [[nodiscard]] virtual int changes() const = 0;         // rows changed by the last statement
  [[nodiscard]] virtual bool in_transaction() const = 0;
  // Lost for good (PostgreSQL's server went away): the pool drops it instead of keeping it.
  [[nodiscard]] virtual bool broken() const { return false; }
  // Tells the Database::listen(channel) listeners of every process, once this transaction
  // commits (and not at all if it rolls back), that something changed. The payload is a hint
  // (a few bytes: PostgreSQL's limit is 8000), never the data itself. SQLite: nothing happens,
  // there is no one to tell; its readers poll.
  virtual void notify(std::string_view /*channel*/, std::string_view /*payload*/) {}

  // Transaction's calls.
  virtual void begin(TransactionMode mode) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;  // only when in_transaction()
};

// Begins in the constructor; rolls back in the destructor unless commit() succeeded.
class Transaction {
 public:
  using Mode = TransactionMode;
  Transaction(Connection& connection, Mode mode) : connection_(connection) { connection_.begin(mode); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    // The engine may already have rolled back on its own (SQLITE_FULL, a lost connection).
    if (!done_ && connection_.in_transaction()) connection_.rollback();
  }
  void commit() {
    connection_.commit();
    done_ = true;
  }

 private:
  Connection& connection_;
  bool done_ = false;
};

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
  // The same change in PostgreSQL's dialect; empty: `sql` runs there as it is.
  std::string_view postgresql = {};
};

struct OpenOptions {
  bool read_only = false;  // SQLite only
  std::chrono::milliseconds busy_timeout{5000};  // SQLite: how long one statement waits on a lock
  // Database::write/read: how long a transaction that keeps failing with a retryable error
  // (SQLite busy after busy_timeout, PostgreSQL serialization failures) is retried before the
  // error is thrown.
  std::chrono::milliseconds retry_deadline{60000};
  // Idle connections kept in the pool; more are closed when their lease ends.
  std::size_t max_idle_connections = 16;
  // Connections open at once; 0: the engine's default (SQLite: no bound, a connection costs a
  // file handle; PostgreSQL: 10, a server process each). Past the bound a lease waits up to
  // lease_timeout for one to come back, then fails with StoreError.
  std::size_t max_connections = 0;
  std::chrono::milliseconds lease_timeout{10000};
  // PostgreSQL: the server ends a session that sits inside a transaction this long with no
  // statement (idle_in_transaction_session_timeout), and its locks go with it. A process that
  // dies closes its connections and the server rolls back at once; one that froze (SIGSTOP, a
  // paused VM) or lost its host or network mid-transaction keeps them open, for hours without
  // TCP keepalives, and its row locks would hold every other instance's writes on those rows.
  // Inside a transaction mcpgate waits for nothing but the database (microseconds between
  // statements), so a live instance never comes near it. Zero: no limit.
  std::chrono::milliseconds idle_transaction_timeout{10000};
  // SQLite: what a commit that returned survives: power loss (synchronous=FULL: an fsync per
  // commit), or the death of the process, SIGKILL included (synchronous=NORMAL, which in WAL
  // mode syncs only at checkpoints: for data whose loss costs little, written often).
  // PostgreSQL always commits with its server's synchronous_commit (on by default).
  enum class Durability { power_loss, process_death };
  Durability durability = Durability::power_loss;
};

// Wakes one thread when any connection (this process's or another's) commits a
// Connection::notify on a channel: the
// engine's own push (PostgreSQL's LISTEN on a connection of its own, outside the pool), so that
// a reader need not poll often. Notifications carry no data and may be lost (while the
// connection is down, or before the first wait): a reader still reads now and then.
//
// wait() and trouble() are called from one thread; interrupt() from any.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Waits up to `timeout` (a little more while a connection attempt finishes). True: a
  // notification came, or the connection was (re-)established, which notifications sent
  // while it was down never reach: read now. False: the time is up, or interrupt().
  // Never throws: a lost connection is re-established, with backoff, by later waits.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
  // Makes the wait() under way, or else the next one, return false at once.
  virtual void interrupt() noexcept = 0;
  // Why notifications cannot arrive now, "" while they can (no password in it).
  [[nodiscard]] virtual std::string trouble() const = 0;
};

// One engine: opens connections to one database and migrates its schema.
class Driver {
 public:
  virtual ~Driver() = default;
  [[nodiscard]] virtual std::unique_ptr<Connection> connect() = 0;  // throws StoreError
  // Applies, each in its own transaction, every migration newer than the database's schema
  // version, in order. Throws when the database is newer than the newest migration given.
  virtual void migrate(Connection& connection, std::span<const Migration> migrations) = 0;
  [[nodiscard]] virtual int schema_version(Connection& connection) = 0;
  [[nodiscard]] virtual std::string_view kind() const = 0;  // "sqlite", "postgresql"
  // The pool's bound when OpenOptions::max_connections is 0; 0: none.
  [[nodiscard]] virtual std::size_t default_max_connections() const { return 0; }
  // Where the data lives, for logs and errors: the file path, or the URI without its password.
  [[nodiscard]] virtual std::string location() const = 0;
  // A listener for `channel`'s notifications; nullptr when the engine has none (SQLite).
  // Connects in its first wait(), not here.
  [[nodiscard]] virtual std::unique_ptr<ChangeListener> listen(const std::string& /*channel*/) {
    return nullptr;
  }
};

// True for "postgresql://..." and "postgres://..." (libpq's URI schemes); anything else given
// as --data is a file path.
[[nodiscard]] bool is_postgresql_uri(std::string_view location);

// `location` as logs and errors may show it: a path as it is, a URI without its password.
[[nodiscard]] std::string shown_location(std::string_view location);

// The driver for `location`: PostgreSQL for a libpq URI, SQLite for a path.
[[nodiscard]] std::unique_ptr<Driver> make_driver(const std::string& location, const OpenOptions& options);

// A pool of Connections to one database; thread-safe.
class Database {
 public:
  // Opens the first connection, runs the migrations, and keeps it in the pool. Throws on
  // failure. `location`: a file path (SQLite) or a postgresql:// URI.
  Database(const std::string& location, std::vector<Migration> migrations, OpenOptions options = {});
  Database(std::unique_ptr<Driver> driver, std::vector<Migration> migrations, OpenOptions options = {});
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

  // An idle connection, or a new one (up to max_connections, then waiting for one).
  Lease lease();

  // Runs f(Connection&) inside an immediate transaction and returns its result. When the
  // transaction fails with a retryable StoreError, it is rolled back and the whole of f is
  // run again, with growing pauses, until retry_deadline: f must therefore only touch the
  // database and its own locals. Any other exception rolls back and propagates.
  template <class F>
  auto write(F&& f) -> decltype(f(std::declval<Connection&>())) {
    return with_retry(TransactionMode::immediate, f);
  }

  // Runs f(Connection&) in a deferred read transaction (one consistent snapshot).
  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<Connection&>())) {
    return with_retry(TransactionMode::deferred, f);
  }

  // A listener for Connection::notify(channel, ...) from any process, on a connection of its
  // own (never one of the pool's); nullptr when the engine cannot push (SQLite: poll).
  [[nodiscard]] std::unique_ptr<ChangeListener> listen(const std::string& channel) {
    return driver_->listen(channel);
  }

  [[nodiscard]] std::string_view kind() const { return driver_->kind(); }
  [[nodiscard]] std::string location() const { return driver_->location(); }
  [[nodiscard]] int schema_version();
  [[nodiscard]] std::size_t idle_connections() const;

 private:
  template <class F>
  auto with_retry(TransactionMode mode, F& f) -> decltype(f(std::declval<Connection&>())) {
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
      } catch (const StoreError& e) {
        if (!e.retryable() || std::chrono::steady_clock::now() >= deadline) throw;
      }
      std::this_thread::sleep_for(retry_pause(attempt));
    }
  }
  static std::chrono::milliseconds retry_pause(int attempt);
  void give_back(std::unique_ptr<Connection> connection) noexcept;

  std::unique_ptr<Driver> driver_;
  OpenOptions options_;
  mutable std::mutex mutex_;  // guards idle_ and open_ only
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // connections alive, leased or idle
};

}  // namespace mcpgate::store
