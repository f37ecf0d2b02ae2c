#include "mcpgate/store/sqlite.hpp"

#include <sqlite3.h>

#include "mcpgate/util/case_fold.hpp"

#include <algorithm>
#include <new>
#include <unordered_map>
#include <vector>

namespace mcpgate::store {

namespace {

// The first few words of a statement, to say which one failed without dumping a whole schema.
std::string sql_head(std::string_view sql) {
  std::string out;
  int words = 0;
  bool in_space = true;
  for (char c : sql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      if (!in_space && ++words == 6) break;
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
    if (out.size() > 80) break;
  }
  return out;
}

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view sql) {
  const int extended = db ? sqlite3_extended_errcode(db) : rc;
  std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (!sql.empty()) message += " (in: " + sql_head(sql) + ")";
  // sqlite3_extended_errcode may lag behind rc after some API calls; trust rc's primary code.
  throw SqliteError((extended & 0xFF) == (rc & 0xFF) ? extended : rc, message);
}

// The SQL function casefold(x): x's text case-folded by util::fold_case (NULL stays NULL), so
// that filters match Unicode text case-insensitively where SQLite's own lower() and LIKE only
// know ASCII. No exception may cross into SQLite's C frames.
void casefold_sql(sqlite3_context* context, int, sqlite3_value** args) {
  if (sqlite3_value_type(args[0]) == SQLITE_NULL) return sqlite3_result_null(context);
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
  const int bytes = sqlite3_value_bytes(args[0]);
  if (text == nullptr) return sqlite3_result_error_nomem(context);
  try {
    const std::string folded = util::fold_case(std::string_view(text, static_cast<std::size_t>(bytes)));
    sqlite3_result_text64(context, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context);
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
}

}  // namespace


// ---- SqliteError ---------------------------------------------------------------------------

SqliteError::SqliteError(int extended_code, const std::string& message)
    : StoreError(message, Traits{.retryable = (extended_code & 0xFF) == SQLITE_BUSY ||
                                              (extended_code & 0xFF) == SQLITE_LOCKED,
                                 .constraint = (extended_code & 0xFF) == SQLITE_CONSTRAINT}),
      extended_code_(extended_code) {}

bool SqliteError::busy() const noexcept { return code() == SQLITE_BUSY || code() == SQLITE_LOCKED; }

// ---- statements ----------------------------------------------------------------------------

class SqliteStatement;  // below; not in an anonymous namespace, as Cache (a member type) holds it

struct SqliteConnection::Cache {
  std::unordered_map<std::string, std::vector<std::unique_ptr<SqliteStatement>>> idle;
  bool open = true;  // false once the connection closed: returning statements are finalized
};

namespace {

void check_bind(sqlite3_stmt* stmt, int rc) {
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt), rc, sqlite3_sql(stmt) ? sqlite3_sql(stmt) : "");
}

}  // namespace

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3_stmt* stmt, std::string sql, std::shared_ptr<SqliteConnection::Cache> cache)
      : stmt_(stmt), sql_(std::move(sql)), cache_(std::move(cache)) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_null(int index) override { check_bind(stmt_, sqlite3_bind_null(stmt_, index)); }
  void bind_int64(int index, std::int64_t value) override {
    check_bind(stmt_, sqlite3_bind_int64(stmt_, index, value));
  }
  void bind_real(int index, double value) override {
    check_bind(stmt_, sqlite3_bind_double(stmt_, index, value));
  }
  void bind_text(int index, std::string_view value) override {
    check_bind(stmt_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                                          SQLITE_TRANSIENT, SQLITE_UTF8));
  }

  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Leave the statement reusable: reset clears the error state (it returns the same code).
    sqlite3* db = sqlite3_db_handle(stmt_);
    const int extended = sqlite3_extended_errcode(db);
    std::string message = sqlite3_errmsg(db);
    sqlite3_reset(stmt_);
    throw SqliteError((extended & 0xFF) == (rc & 0xFF) ? extended : rc,
                      message + " (in: " + sql_head(sql_) + ")");
  }

  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const override {
    const auto* data = sqlite3_column_text(stmt_, col);
    if (!data) return {};
    const int size = sqlite3_column_bytes(stmt_, col);
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  }
  int column_count() const override { return sqlite3_column_count(stmt_); }

  void recycle() noexcept override {
    if (cache_ && cache_->open) {
      reset();
      try {
        auto& idle = cache_->idle[sql_];
        idle.push_back(std::unique_ptr<SqliteStatement>(this));
        return;
      } catch (...) {  // out of memory: finalize instead
      }
    }
    delete this;
  }

 private:
  sqlite3_stmt* stmt_;
  std::string sql_;
  std::shared_ptr<SqliteConnection::Cache> cache_;  // where the statement goes back to
};

// ---- SqliteConnection ----------------------------------------------------------------------

SqliteConnection::SqliteConnection(const std::filesystem::path& path, const OpenOptions& options)
    : cache_(std::make_shared<Cache>()) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open database " + path.string() + ": " +
                          (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    const int extended = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(extended, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Deterministic (the planner may use it in indexes and factor it out) and innocuous (no side
  // effects: allowed in triggers, views and schema expressions).
  const int casefold_rc = sqlite3_create_function_v2(
      db_, "casefold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
      casefold_sql, nullptr, nullptr, nullptr);
  if (casefold_rc != SQLITE_OK) {
    std::string message = "cannot open database " + path.string() +
                          ": cannot register casefold(): " + sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(casefold_rc, message);
  }
  // READWRITE quietly falls back to read-only when the file is not writable; say so now rather
  // than at the first write.
  if (!options.read_only && sqlite3_db_readonly(db_, "main") == 1) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(SQLITE_READONLY,
                      "cannot open database " + path.string() + " for writing: read-only file");
  }
  try {
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    if (!options.read_only) exec("PRAGMA journal_mode=WAL");
    exec(options.durability == OpenOptions::Durability::power_loss
             ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"
             : "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
  } catch (const SqliteError& e) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(e.extended_code(), "cannot open database " + path.string() + ": " + e.what());
  }
}

SqliteConnection::~SqliteConnection() {
  // Statements still leased finalize themselves when they come back (the cache is closed).
  cache_->open = false;
  cache_->idle.clear();
  // close_v2: if a Statement still lives, the handle closes when it is finalized.
  if (db_) sqlite3_close_v2(db_);
}

Statement SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  auto found = cache_->idle.find(key);
  if (found != cache_->idle.end() && !found->second.empty()) {
    SqliteStatement* statement = found->second.back().release();
    found->second.pop_back();
    return Statement(statement);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, sql);
  if (!stmt) throw SqliteError(SQLITE_MISUSE, "empty SQL statement");
  return Statement(new SqliteStatement(stmt, std::move(key), cache_));
}

void SqliteConnection::exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    const int extended = sqlite3_extended_errcode(db_);
    throw SqliteError((extended & 0xFF) == (rc & 0xFF) ? extended : rc,
                      message + " (in: " + sql_head(sql) + ")");
  }
}

std::int64_t SqliteConnection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int SqliteConnection::changes() const { return sqlite3_changes(db_); }

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

sqlite3* SqliteConnection::handle() { return db_; }

void SqliteConnection::begin(TransactionMode mode) {
  exec(mode == TransactionMode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

void SqliteConnection::commit() { exec("COMMIT"); }

void SqliteConnection::rollback() noexcept {
  try {
    exec("ROLLBACK");
  } catch (...) {  // nothing more to do: the connection stays usable in autocommit mode
  }
}

// ---- migrate -------------------------------------------------------------------------------

namespace {
int user_version(Connection& connection) {
  auto statement = connection.prepare("PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.int64(0));
}
}  // namespace

void migrate(SqliteConnection& connection, std::span<const Migration> migrations) {
  std::vector<Migration> ordered(migrations.begin(), migrations.end());
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  const int newest = ordered.empty() ? 0 : ordered.back().version;
  const int found = user_version(connection);
  if (found > newest)
    throw std::runtime_error("the database has schema version " + std::to_string(found) +
                             ", newer than this mcpgate knows (" + std::to_string(newest) +
                             "); it was written by a newer mcpgate: upgrade, or use another "
                             "data file");
  for (const auto& migration : ordered) {
    Transaction transaction(connection, Transaction::Mode::immediate);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    if (migration.version <= user_version(connection)) continue;
    try {
      connection.exec(migration.sql);
    } catch (const SqliteError& e) {
      throw SqliteError(e.extended_code(), "migration " + std::to_string(migration.version) +
                                               " (" + std::string(migration.name) +
                                               ") failed: " + e.what());
    }
    connection.exec("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
  }
}

// ---- the driver ----------------------------------------------------------------------------

namespace {

class SqliteDriver final : public Driver {
 public:
  SqliteDriver(std::filesystem::path path, OpenOptions options)
      : path_(std::move(path)), options_(options) {}

  std::unique_ptr<Connection> connect() override {
    return std::make_unique<SqliteConnection>(path_, options_);
  }
  void migrate(Connection& connection, std::span<const Migration> migrations) override {
    try {
      store::migrate(dynamic_cast<SqliteConnection&>(connection), migrations);
    } catch (const SqliteError& e) {
      throw SqliteError(e.extended_code(), path_.string() + ": " + e.what());
    } catch (const std::exception& e) {
      throw std::runtime_error(path_.string() + ": " + e.what());
    }
  }
  int schema_version(Connection& connection) override { return user_version(connection); }
  std::string_view kind() const override { return "sqlite"; }
  std::string location() const override { return path_.string(); }

 private:
  std::filesystem::path path_;
  OpenOptions options_;
};

}  // namespace

std::unique_ptr<Driver> sqlite_driver(std::filesystem::path path, OpenOptions options) {
  return std::make_unique<SqliteDriver>(std::move(path), options);
}

}  // namespace mcpgate::store
