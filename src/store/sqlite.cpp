#include "mcpgate/store/sqlite.hpp"

#include <sqlite3.h>

#include "mcpgate/util/case_fold.hpp"

#include <algorithm>
#include <new>

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
    : std::runtime_error(message), extended_code_(extended_code) {}

bool SqliteError::busy() const noexcept { return code() == SQLITE_BUSY || code() == SQLITE_LOCKED; }

bool SqliteError::constraint() const noexcept { return code() == SQLITE_CONSTRAINT; }

// ---- Statement -----------------------------------------------------------------------------

struct Statement::Cache {
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle;
  bool open = true;  // false once the connection closed: returning statements are finalized
};

Statement::Statement(sqlite3_stmt* stmt, std::string sql, std::shared_ptr<Cache> cache)
    : stmt_(stmt), sql_(std::move(sql)), cache_(std::move(cache)) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      cache_(std::move(other.cache_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    sql_ = std::move(other.sql_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Statement::~Statement() { release(); }

void Statement::release() noexcept {
  if (!stmt_) return;
  if (cache_ && cache_->open) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    try {
      cache_->idle[sql_].push_back(stmt_);
      stmt_ = nullptr;
      return;
    } catch (...) {  // out of memory: finalize instead
    }
  }
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

namespace {
void check_bind(sqlite3_stmt* stmt, int rc) {
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt), rc, sqlite3_sql(stmt) ? sqlite3_sql(stmt) : "");
}
}  // namespace

Statement& Statement::bind(int index, std::nullptr_t) {
  check_bind(stmt_, sqlite3_bind_null(stmt_, index));
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(stmt_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }

Statement& Statement::bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }

Statement& Statement::bind(int index, double value) {
  check_bind(stmt_, sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check_bind(stmt_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, const char* value) {
  if (!value) return bind(index, nullptr);
  return bind(index, std::string_view(value));
}

bool Statement::step() {
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

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::text(int col) const {
  const auto* data = sqlite3_column_text(stmt_, col);
  if (!data) return {};
  const int size = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

// ---- Connection ----------------------------------------------------------------------------

Connection::Connection(const std::filesystem::path& path, const OpenOptions& options)
    : cache_(std::make_shared<Statement::Cache>()) {
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

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  if (cache_) {
    cache_->open = false;
    for (auto& [sql, statements] : cache_->idle)
      for (auto* stmt : statements) sqlite3_finalize(stmt);
    cache_->idle.clear();
  }
  // close_v2: if a Statement still lives, the handle closes when it is finalized.
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
  cache_.reset();
}

Statement Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto found = cache_->idle.find(key);
  if (found != cache_->idle.end() && !found->second.empty()) {
    sqlite3_stmt* stmt = found->second.back();
    found->second.pop_back();
    return Statement(stmt, std::move(key), cache_);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, sql);
  if (!stmt) throw SqliteError(SQLITE_MISUSE, "empty SQL statement");
  return Statement(stmt, std::move(key), cache_);
}

void Connection::exec(std::string_view sql) {
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

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Connection::changes() const { return sqlite3_changes(db_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

sqlite3* Connection::handle() { return db_; }

// ---- Transaction ---------------------------------------------------------------------------

Transaction::Transaction(Connection& connection, Mode mode) : connection_(connection) {
  connection_.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
  if (done_) return;
  // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); ROLLBACK would then fail.
  if (connection_.in_transaction()) {
    try {
      connection_.exec("ROLLBACK");
    } catch (...) {  // nothing more to do: the connection stays usable in autocommit mode
    }
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

// ---- migrate -------------------------------------------------------------------------------

namespace {
int user_version(Connection& connection) {
  auto statement = connection.prepare("PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.int64(0));
}
}  // namespace

void migrate(Connection& connection, std::span<const Migration> migrations) {
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

// ---- Database ------------------------------------------------------------------------------

Database::Database(std::filesystem::path path, std::vector<Migration> migrations,
                   OpenOptions options)
    : path_(std::move(path)), options_(options) {
  auto first = std::make_unique<Connection>(path_, options_);
  try {
    migrate(*first, migrations);
  } catch (const SqliteError& e) {
    throw SqliteError(e.extended_code(), path_.string() + ": " + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error(path_.string() + ": " + e.what());
  }
  idle_.push_back(std::move(first));
}

Database::~Database() = default;

Database::Lease::Lease(Database* owner, std::unique_ptr<Connection> connection)
    : owner_(owner), connection_(std::move(connection)) {}

Database::Lease::Lease(Lease&& other) noexcept
    : owner_(other.owner_), connection_(std::move(other.connection_)) {}

Database::Lease::~Lease() {
  if (connection_) owner_->give_back(std::move(connection_));
}

Database::Lease Database::lease() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
  }
  // Opening runs outside the mutex: it touches the file.
  return Lease(this, std::make_unique<Connection>(path_, options_));
}

void Database::give_back(std::unique_ptr<Connection> connection) noexcept {
  // A connection left inside a transaction (a bug elsewhere) must not carry it to the next user.
  if (connection->in_transaction()) {
    try {
      connection->exec("ROLLBACK");
    } catch (...) {
      return;  // drop it
    }
  }
  std::unique_ptr<Connection> surplus;
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  surplus = std::move(connection);  // closed here, outside the mutex
}

std::size_t Database::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::chrono::milliseconds Database::retry_pause(int attempt) {
  // 1, 2, 4, ... ms up to 50 ms, spread by the thread id so that retrying writers do not
  // collide in lockstep.
  const auto base = std::min(50, 1 << std::min(attempt, 6));
  const auto spread = static_cast<int>(std::hash<std::thread::id>{}(std::this_thread::get_id()) % 5);
  return std::chrono::milliseconds(base + spread);
}

}  // namespace mcpgate::store
