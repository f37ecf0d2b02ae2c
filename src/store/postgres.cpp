#include "mcpgate/store/postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <cstdlib>
#include <unordered_map>
#include <vector>

namespace mcpgate::store {

namespace {

// The first few words of a statement, to say which one failed without dumping a whole schema.
std::string pg_sql_head(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
    if (out.size() > 60) return out + "...";
  }
  return out;
}

std::string pg_trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

constexpr const char* serialization_failure = "40001";
constexpr const char* deadlock_detected = "40P01";
constexpr const char* connection_failure = "08006";

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

}  // namespace

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  // user:password@ in the authority (before the first '/' or '?' after "://").
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = std::min(out.find('/', start), out.find('?', start));
    const auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... among the query parameters.
  for (auto at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
    if (at == 0 || (out[at - 1] != '?' && out[at - 1] != '&')) continue;
    const auto value = at + 9;
    const auto end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::string postgres_placeholders(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 8);
  count = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    std::size_t j = i + 1;
    int index = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') index = index * 10 + (sql[j++] - '0');
    if (j == i + 1) index = count + 1;
    count = std::max(count, index);
    out += '$' + std::to_string(index);
    i = j - 1;
  }
  return out;
}

// ---- connection ----------------------------------------------------------------------------

namespace {

class PgConnection;

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgConnection& connection, const std::string& name, int parameters, std::string sql)
      : connection_(connection), name_(name), values_(static_cast<std::size_t>(parameters)),
        sql_(std::move(sql)) {}

  void bind_null(int index) override { slot(index).reset(); }
  void bind_int64(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bind_real(int index, double value) override {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    slot(index) = text;
  }
  void bind_text(int index, std::string_view value) override { slot(index) = std::string(value); }

  bool step() override;
  void reset() override {
    result_.reset();
    row_ = -1;
    for (auto& value : values_) value.reset();
  }

  bool is_null(int col) const override { return PQgetisnull(result_.get(), row_, col) != 0; }
  std::int64_t int64(int col) const override {
    const char* text = PQgetvalue(result_.get(), row_, col);
    if (text[0] == 't' && text[1] == 0) return 1;  // a boolean column
    return std::strtoll(text, nullptr, 10);
  }
  double real(int col) const override { return std::strtod(PQgetvalue(result_.get(), row_, col), nullptr); }
  std::string text(int col) const override {
    return std::string(PQgetvalue(result_.get(), row_, col),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, col)));
  }
  int column_count() const override { return PQnfields(result_.get()); }

  void recycle() noexcept override { delete this; }

 private:
  std::optional<std::string>& slot(int index) {
    if (index < 1 || static_cast<std::size_t>(index) > values_.size())
      throw PgError("08P01", "parameter " + std::to_string(index) + " out of range (in: " + pg_sql_head(sql_) + ")", {});
    return values_[static_cast<std::size_t>(index - 1)];
  }

  PgConnection& connection_;
  std::string name_;
  std::vector<std::optional<std::string>> values_;
  std::string sql_;
  PgResult result_{nullptr, &PQclear};
  int row_ = -1;
  int rows_ = 0;
};

class PgConnection final : public Connection {
 public:
  PgConnection(const std::string& uri, const std::string& shown) : conn_(PQconnectdb(uri.c_str())) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = conn_ ? pg_trimmed(PQerrorMessage(conn_)) : "out of memory";
      if (conn_) PQfinish(conn_);
      throw PgError(connection_failure, "cannot connect to PostgreSQL at " + shown + ": " + why, {});
    }
    // Notices (CREATE ... IF NOT EXISTS skipping, ...) are not errors: not on stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    if (PQsetClientEncoding(conn_, "UTF8") != 0) {
      PQfinish(conn_);
      throw PgError(connection_failure, "cannot use UTF-8 with PostgreSQL at " + shown, {});
    }
  }
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Statement prepare(std::string_view sql) override {
    std::string key(sql);
    auto found = prepared_.find(key);
    if (found == prepared_.end()) {
      int count = 0;
      const std::string text = postgres_placeholders(sql, count);
      const std::string name = "s" + std::to_string(prepared_.size() + 1);
      PgResult result(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr), &PQclear);
      check(result.get(), sql);
      found = prepared_.emplace(std::move(key), Prepared{name, count}).first;
    }
    return Statement(new PgStatement(*this, found->second.name, found->second.parameters, found->first));
  }

  void exec(std::string_view sql) override { run(sql, false); }

  int changes() const override { return changes_; }

  bool in_transaction() const override {
    const auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }

  bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }

  // pg_notify() rather than NOTIFY: a function takes its channel and payload as parameters.
  // Delivered at COMMIT; identical notifications within one transaction are sent once.
  void notify(std::string_view channel, std::string_view payload) override {
    auto s = prepare("SELECT pg_notify(?, ?)");
    s.bind_all(channel, payload);
    s.run();
  }

  void begin(TransactionMode mode) override {
    exec(mode == TransactionMode::immediate ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                            : "BEGIN ISOLATION LEVEL REPEATABLE READ");
  }

  void commit() override {
    // COMMIT of a failed transaction "succeeds" as a rollback: say what happened instead.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      rollback();
      throw PgError("25P02", "the transaction was aborted by an earlier error and rolled back", {});
    }
    run("COMMIT", true);
  }

  void rollback() noexcept override { PgResult ignored(PQexec(conn_, "ROLLBACK"), &PQclear); }

  // Throws the error `result` reports (or the lost connection), naming the statement.
  void check(const PGresult* result, std::string_view sql, bool during_commit = false) {
    const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    if (PQstatus(conn_) != CONNECTION_OK) {
      // Before COMMIT the server rolled the transaction back when the connection went: run it
      // again on another one. During COMMIT nobody knows whether it committed.
      throw PgError(connection_failure,
                    during_commit ? "the connection to PostgreSQL was lost during COMMIT: the "
                                    "write may or may not have been committed"
                                  : "the connection to PostgreSQL was lost: " + pg_trimmed(PQerrorMessage(conn_)),
                    StoreError::Traits{.retryable = !during_commit});
    }
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "XX000";
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const std::string message = primary ? primary : pg_trimmed(PQerrorMessage(conn_));
    throw PgError(sqlstate, message + " (in: " + pg_sql_head(sql) + ")",
                  StoreError::Traits{.retryable = sqlstate == serialization_failure ||
                                                  sqlstate == deadlock_detected,
                                     .constraint = sqlstate.starts_with("23")});
  }

  PGconn* handle() { return conn_; }
  void set_changes(int n) { changes_ = n; }

 private:
  void run(std::string_view sql, bool during_commit) {
    const std::string text(sql);
    PgResult result(PQexec(conn_, text.c_str()), &PQclear);
    check(result.get(), sql, during_commit);
  }

  struct Prepared {
    std::string name;
    int parameters;
  };
  PGconn* conn_;
  std::unordered_map<std::string, Prepared> prepared_;
  int changes_ = 0;
};

bool PgStatement::step() {
  if (!result_) {
    std::vector<const char*> values;
    values.reserve(values_.size());
    for (const auto& value : values_) values.push_back(value ? value->c_str() : nullptr);
    result_.reset(PQexecPrepared(connection_.handle(), name_.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0));
    try {
      connection_.check(result_.get(), sql_);
    } catch (...) {
      result_.reset();
      throw;
    }
    rows_ = PQntuples(result_.get());
    const char* changed = PQcmdTuples(result_.get());
    connection_.set_changes(changed && *changed ? std::atoi(changed) : 0);
    row_ = -1;
  }
  return ++row_ < rows_;
}

// ---- migrations ----------------------------------------------------------------------------

// Any constant will do, as long as every mcpgate uses the same one.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7156443908412367)";

int applied_version(PgConnection& connection) {
  auto s = connection.prepare("SELECT coalesce(max(version), 0) FROM mcpgate_schema_migrations");
  s.step();
  return static_cast<int>(s.int64(0));
}

class PgDriver final : public Driver {
 public:
  PgDriver(std::string uri, std::chrono::milliseconds idle_transaction_timeout)
      : uri_(std::move(uri)), shown_(redact_uri(uri_)), idle_transaction_timeout_(idle_transaction_timeout) {}

  std::unique_ptr<Connection> connect() override {
    auto connection = std::make_unique<PgConnection>(uri_, shown_);
    // For the session, outside any transaction: it holds until the connection closes.
    connection->exec("SET idle_in_transaction_session_timeout = " +
                     std::to_string(idle_transaction_timeout_.count()));
    return connection;
  }

  void migrate(Connection& base, std::span<const Migration> migrations) override {
    auto& connection = dynamic_cast<PgConnection&>(base);
    std::vector<Migration> ordered(migrations.begin(), migrations.end());
    std::sort(ordered.begin(), ordered.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    const int newest = ordered.empty() ? 0 : ordered.back().version;
    // One transaction per migration, each under the lock; READ COMMITTED so that what another
    // instance committed while we waited for the lock is seen.
    const auto locked = [&] {
      connection.exec("BEGIN ISOLATION LEVEL READ COMMITTED");
      connection.exec(migration_lock);
      connection.exec(
          "CREATE TABLE IF NOT EXISTS mcpgate_schema_migrations (version integer PRIMARY KEY, "
          "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      return applied_version(connection);
    };
    try {
      const int found = locked();
      connection.exec("COMMIT");
      if (found > newest)
        throw std::runtime_error(shown_ + ": the database has schema version " + std::to_string(found) +
                                 ", newer than this mcpgate knows (" + std::to_string(newest) +
                                 "); it was written by a newer mcpgate: upgrade, or use another "
                                 "database");
      for (const auto& migration : ordered) {
        if (locked() >= migration.version) {
          connection.exec("COMMIT");
          continue;
        }
        try {
          connection.exec(migration.postgresql.empty() ? migration.sql : migration.postgresql);
        } catch (const PgError& e) {
          throw PgError(e.sqlstate(), shown_ + ": migration " + std::to_string(migration.version) +
                                          " (" + std::string(migration.name) + ") failed: " + e.what(), {});
        }
        connection.prepare("INSERT INTO mcpgate_schema_migrations(version, name) VALUES(?1, ?2)")
            .bind_all(migration.version, migration.name)
            .run();
        connection.exec("COMMIT");
      }
    } catch (...) {
      if (connection.in_transaction()) connection.rollback();
      throw;
    }
  }

  int schema_version(Connection& connection) override {
    return applied_version(dynamic_cast<PgConnection&>(connection));
  }
  std::size_t default_max_connections() const override { return 10; }
  std::string_view kind() const override { return "postgresql"; }
  std::string location() const override { return shown_; }
  std::unique_ptr<ChangeListener> listen(const std::string& channel) override {
    return postgres_listener(uri_, shown_, channel);
  }

 private:
  std::string uri_;
  std::string shown_;
  std::chrono::milliseconds idle_transaction_timeout_;
};

}  // namespace

std::unique_ptr<Driver> postgres_driver(std::string uri, const OpenOptions& options) {
  return std::make_unique<PgDriver>(std::move(uri), options.idle_transaction_timeout);
}

}  // namespace mcpgate::store
