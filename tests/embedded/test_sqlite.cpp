// store::Connection, Statement, Transaction, migrate() and Database (pool, write retries).
#include "mcpgate/store/data_path.hpp"
#include "mcpgate/store/sqlite.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

using namespace mcpgate::store;
using embedded_test::TempDir;
using namespace std::chrono_literals;

namespace {

const std::vector<Migration> notes_schema = {
    {1, "notes", "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL)"},
    {2, "note tags", "ALTER TABLE notes ADD COLUMN tag TEXT"},
};

std::int64_t count_notes(Connection& c) {
  auto s = c.prepare("SELECT count(*) FROM notes");
  REQUIRE(s.step());
  return s.int64(0);
}

std::int64_t user_version(Connection& c) {
  auto s = c.prepare("PRAGMA user_version");
  REQUIRE(s.step());
  return s.int64(0);
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1); else unsetenv(name_);
  }
 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("statements bind, step and read every column type") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  c.exec("CREATE TABLE t(i INTEGER, r REAL, s TEXT, n TEXT)");
  std::optional<std::string> none;
  c.prepare("INSERT INTO t VALUES(?, ?, ?, ?)")
      .bind_all(std::int64_t{1} << 40, 2.5, std::string("h\xC3\xA9llo\0x", 8), none)
      .run();
  CHECK(c.changes() == 1);
  CHECK(c.last_insert_rowid() == 1);
  auto s = c.prepare("SELECT i, r, s, n FROM t");
  REQUIRE(s.step());
  CHECK(s.column_count() == 4);
  CHECK(s.int64(0) == (std::int64_t{1} << 40));
  CHECK(s.real(1) == 2.5);
  CHECK(s.text(2) == std::string("h\xC3\xA9llo\0x", 8));  // embedded NUL kept
  CHECK(s.is_null(3));
  CHECK(s.text(3).empty());
  CHECK_FALSE(s.opt_text(3).has_value());
  CHECK_FALSE(s.step());
}

TEST_CASE("prepared statements are cached and come back reset") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  c.exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)");
  sqlite3_stmt* first_handle = nullptr;
  {
    auto s = c.prepare("SELECT v FROM t ORDER BY v");
    REQUIRE(s.step());  // left mid-iteration on purpose
    first_handle = sqlite3_next_stmt(c.handle(), nullptr);
  }
  auto again = c.prepare("SELECT v FROM t ORDER BY v");
  CHECK(sqlite3_next_stmt(c.handle(), nullptr) == first_handle);  // the same statement object
  REQUIRE(again.step());
  CHECK(again.int64(0) == 1);  // started over
}

TEST_CASE("errors carry the SQLite code, the message and the statement") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY)");
  c.prepare("INSERT INTO t VALUES(1)").run();
  try {
    c.prepare("INSERT INTO t VALUES(1)").run();
    FAIL("expected a constraint error");
  } catch (const SqliteError& e) {
    CHECK(e.constraint());
    CHECK(e.code() == SQLITE_CONSTRAINT);
    CHECK(e.extended_code() == SQLITE_CONSTRAINT_PRIMARYKEY);
    CHECK_FALSE(e.busy());
    CHECK(std::string(e.what()).find("UNIQUE") != std::string::npos);
    CHECK(std::string(e.what()).find("INSERT INTO t") != std::string::npos);
  }
  CHECK_THROWS_AS(c.prepare("SELEKT 1"), SqliteError);
}

TEST_CASE("connections use WAL, full sync and foreign keys") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  auto mode = c.prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.text(0) == "wal");
  auto sync = c.prepare("PRAGMA synchronous");
  REQUIRE(sync.step());
  CHECK(sync.int64(0) == 2);  // FULL
  auto fk = c.prepare("PRAGMA foreign_keys");
  REQUIRE(fk.step());
  CHECK(fk.int64(0) == 1);
}

TEST_CASE("every connection has casefold(): Unicode case folding where lower() knows ASCII only") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  auto fold = [&](std::optional<std::string> text) {
    auto s = c.prepare("SELECT casefold(?)");
    s.bind(1, text);
    REQUIRE(s.step());
    return s.opt_text(0);
  };
  CHECK(fold("ÜBER-LÅNGA") == "über-långa");
  CHECK(fold("ΣΊΣΥΦΟΣ") == fold("σίσυφος"));
  CHECK(fold("Straße") == "strasse");
  CHECK(fold(std::nullopt) == std::nullopt);
  CHECK(fold("A\xFF") == "a\xEF\xBF\xBD");  // invalid UTF-8: a replacement character, no error
  auto number = c.prepare("SELECT casefold(42)");
  REQUIRE(number.step());
  CHECK(number.text(0) == "42");

  // A second connection (the pool opens more under load) has it too, in a filter.
  SqliteConnection other(dir.file("t.db"), {});
  other.exec("CREATE TABLE t(name TEXT); INSERT INTO t VALUES('Über-långa'), ('other')");
  auto match = other.prepare("SELECT count(*) FROM t WHERE casefold(name) = casefold(?)");
  match.bind(1, "ÜBER-LÅNGA");
  REQUIRE(match.step());
  CHECK(match.int64(0) == 1);
}

TEST_CASE("opening an impossible path fails with the path in the message") {
  TempDir dir;
  std::ofstream(dir.file("plain")) << "x";
  try {
    SqliteConnection c(dir.file("plain") / "sub" / "x.db", {});
    FAIL("expected an error");
  } catch (const SqliteError& e) {
    CHECK(std::string(e.what()).find("plain") != std::string::npos);
  }
}

TEST_CASE("a transaction rolls back unless committed") {
  TempDir dir;
  SqliteConnection c(dir.file("t.db"), {});
  migrate(c, notes_schema);
  {
    Transaction t(c, Transaction::Mode::immediate);
    c.prepare("INSERT INTO notes(body) VALUES('kept')").run();
    t.commit();
  }
  {
    Transaction t(c, Transaction::Mode::immediate);
    c.prepare("INSERT INTO notes(body) VALUES('dropped')").run();
  }
  CHECK_FALSE(c.in_transaction());
  CHECK(count_notes(c) == 1);
}

TEST_CASE("migrate applies what is missing, once, and refuses a newer file") {
  TempDir dir;
  const auto file = dir.file("m.db");
  {
    SqliteConnection c(file, {});
    migrate(c, std::span(notes_schema.data(), 1));
    CHECK(user_version(c) == 1);
    migrate(c, notes_schema);  // only version 2 runs (1 again would fail: table exists)
    CHECK(user_version(c) == 2);
    migrate(c, notes_schema);  // nothing to do
    c.prepare("INSERT INTO notes(body, tag) VALUES('a', 't')").run();
  }
  {
    SqliteConnection c(file, {});
    try {
      migrate(c, std::span(notes_schema.data(), 1));
      FAIL("expected the newer schema to be refused");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("newer") != std::string::npos);
    }
  }
}

TEST_CASE("a failing migration leaves the file at the previous version") {
  TempDir dir;
  SqliteConnection c(dir.file("m.db"), {});
  const std::vector<Migration> broken = {
      notes_schema[0],
      {2, "broken", "ALTER TABLE notes ADD COLUMN x TEXT; CREATE TABLE oops(;"},
  };
  CHECK_THROWS_AS(migrate(c, broken), SqliteError);
  CHECK(user_version(c) == 1);
  auto s = c.prepare("SELECT count(*) FROM pragma_table_info('notes') WHERE name = 'x'");
  REQUIRE(s.step());
  CHECK(s.int64(0) == 0);  // the half-applied step was rolled back
}

TEST_CASE("Database::write commits, rolls back on exceptions and returns f's value") {
  TempDir dir;
  Database db(dir.file("d.db"), notes_schema);
  const auto id = db.write([](Connection& c) {
    c.prepare("INSERT INTO notes(body) VALUES('x')").run();
    return dynamic_cast<SqliteConnection&>(c).last_insert_rowid();
  });
  CHECK(id == 1);
  CHECK_THROWS_AS(db.write([](Connection& c) {
                    c.prepare("INSERT INTO notes(body) VALUES('y')").run();
                    throw std::runtime_error("changed my mind");
                  }),
                  std::runtime_error);
  CHECK(db.read(count_notes) == 1);
}

TEST_CASE("Database::write retries past SQLITE_BUSY until the other writer is done") {
  TempDir dir;
  OpenOptions options;
  options.busy_timeout = 10ms;  // each attempt gives up fast: only the retry loop can succeed
  Database db(dir.file("d.db"), notes_schema, options);

  SqliteConnection other(dir.file("d.db"), options);
  other.exec("BEGIN IMMEDIATE");
  other.prepare("INSERT INTO notes(body) VALUES('other')").run();
  std::thread releaser([&] {
    std::this_thread::sleep_for(200ms);  // many busy timeouts long
    other.exec("COMMIT");
  });
  int runs = 0;
  db.write([&](Connection& c) {
    ++runs;
    c.prepare("INSERT INTO notes(body) VALUES('mine')").run();
  });
  releaser.join();
  CHECK(db.read(count_notes) == 2);  // both writes, none lost
  CHECK(runs == 1);                  // f runs only once the write lock is held
}

TEST_CASE("Database::write gives up with a busy error after the retry deadline") {
  TempDir dir;
  OpenOptions options;
  options.busy_timeout = 5ms;
  options.retry_deadline = 50ms;
  Database db(dir.file("d.db"), notes_schema, options);
  SqliteConnection other(dir.file("d.db"), options);
  other.exec("BEGIN IMMEDIATE");
  try {
    db.write([](Connection& c) { c.prepare("INSERT INTO notes(body) VALUES('x')").run(); });
    FAIL("expected SQLITE_BUSY");
  } catch (const SqliteError& e) {
    CHECK(e.busy());
  }
  other.exec("ROLLBACK");
  CHECK(db.read(count_notes) == 0);
}

TEST_CASE("the pool hands out distinct connections and keeps idle ones up to its cap") {
  TempDir dir;
  OpenOptions options;
  options.max_idle_connections = 2;
  Database db(dir.file("d.db"), notes_schema, options);
  CHECK(db.idle_connections() == 1);  // the one that ran the migrations
  {
    auto a = db.lease();
    auto b = db.lease();
    auto c = db.lease();
    CHECK(&*a != &*b);
    CHECK(&*b != &*c);
    CHECK(db.idle_connections() == 0);
    // Each lease is a working connection to the same file.
    a->prepare("INSERT INTO notes(body) VALUES('a')").run();
    CHECK(count_notes(*c) == 1);
  }
  CHECK(db.idle_connections() == 2);
  {
    auto reused = db.lease();
    CHECK(db.idle_connections() == 1);
    // A lease returned inside a transaction is rolled back before anyone else gets it.
    reused->exec("BEGIN IMMEDIATE");
    reused->prepare("INSERT INTO notes(body) VALUES('abandoned')").run();
  }
  CHECK(db.read(count_notes) == 1);
  CHECK(db.write([](Connection& c) { return count_notes(c); }) == 1);
}

TEST_CASE("many threads writing through one Database lose nothing") {
  TempDir dir;
  Database db(dir.file("d.db"), notes_schema);
  db.write([](Connection& c) { c.exec("CREATE TABLE counter(n INTEGER); INSERT INTO counter VALUES(0)"); });
  constexpr int threads = 16, per_thread = 25;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&db] {
      for (int i = 0; i < per_thread; ++i)
        db.write([](Connection& c) {
          // read-modify-write: only correct when the transaction holds the write lock
          auto s = c.prepare("SELECT n FROM counter");
          REQUIRE(s.step());
          const auto n = s.int64(0);
          s.reset();
          c.prepare("UPDATE counter SET n = ?").bind(1, n + 1).run();
        });
    });
  for (auto& w : workers) w.join();
  const auto n = db.read([](Connection& c) {
    auto s = c.prepare("SELECT n FROM counter");
    REQUIRE(s.step());
    return s.int64(0);
  });
  CHECK(n == threads * per_thread);
}

TEST_CASE("default_data_path follows XDG_DATA_HOME, then HOME") {
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg/data");
    CHECK(default_data_path() == std::filesystem::path("/xdg/data/mcpgate/mcpgate.db"));
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", "");
    ScopedEnv home("HOME", "/home/someone");
    CHECK(default_data_path() ==
          std::filesystem::path("/home/someone/.local/share/mcpgate/mcpgate.db"));
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    CHECK_THROWS_AS(static_cast<void>(default_data_path()), std::runtime_error);
  }
}

TEST_CASE("ensure_parent_directories creates missing folders and names a blocked one") {
  TempDir dir;
  const auto file = dir.file("a") / "b" / "c.db";
  ensure_parent_directories(file);
  CHECK(std::filesystem::is_directory(dir.file("a") / "b"));
  ensure_parent_directories(file);  // already there: fine
  std::ofstream(dir.file("blocker")) << "x";
  try {
    ensure_parent_directories(dir.file("blocker") / "x" / "c.db");
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("blocker") != std::string::npos);
  }
}

TEST_CASE("ensure_parent_directories makes no folder for a PostgreSQL URI") {
  TempDir dir;
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  ensure_parent_directories("postgresql:///mcpgate?host=/tmp/cluster");
  ensure_parent_directories("postgres://user@127.0.0.1:5432/db");
  std::filesystem::current_path(before);
  CHECK(std::filesystem::is_empty(dir.path()));
}
