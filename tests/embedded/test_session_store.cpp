// The session store (sessions/session_store.hpp over store/session_table.hpp) on a real store,
// an SQLite file (or a PostgreSQL database in the _pg twin): what one process saves, another
// opening the same store loads; use, expiry, removal.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/sessions/session_store.hpp"
#include "mcpgate/store/sqlite.hpp"
#include "mcpgate/store/task_table.hpp"

#include "temp_dir.hpp"
#include "test_store.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using mcpgate::sessions::SessionRecord;
using mcpgate::sessions::SessionStore;
using mcpgate::tools::LogLevel;

TEST_CASE("session records: saved by one store, loaded by another on the same file") {
  embedded_test::TempDir dir;
  const auto path = test_support::fresh_store(dir.file("mcpgate.db"));
  auto writer = mcpgate::sessions::make_database_session_store(mcpgate::backend::open_store(path, {}));
  auto reader = mcpgate::sessions::make_database_session_store(mcpgate::backend::open_store(path, {}));
  const auto now = SessionRecord::WallClock::now();
  writer->save({.id = "a.one",
                .protocol_version = "2025-06-18",
                .client_capabilities = R"({"sampling":{}})",
                .client_info = R"({"name":"c","version":"1"})",
                .log_level = LogLevel::off,
                .last_used = now - 10min,
                .subject = "alice"});
  writer->save({.id = "two", .protocol_version = "2025-11-25", .last_used = now - 2h, .subject = {}});

  auto one = reader->load("a.one");
  REQUIRE(one.has_value());
  CHECK(one->protocol_version == "2025-06-18");
  CHECK(one->client_capabilities == R"({"sampling":{}})");
  CHECK(one->client_info == R"({"name":"c","version":"1"})");
  CHECK(one->log_level == LogLevel::off);
  CHECK(one->subject == "alice");
  CHECK(std::chrono::abs(one->last_used - (now - 10min)) < 1ms);
  CHECK_FALSE(reader->load("three").has_value());

  // Use moves the last use forward (never back) and keeps the log level; a gone id is named.
  const auto gone = reader->record_use({{.id = "a.one", .log_level = LogLevel::error},
                                        {.id = "three", .log_level = LogLevel::info}},
                                       now);
  CHECK(gone == std::vector<std::string>{"three"});
  (void)reader->record_use({{.id = "a.one", .log_level = LogLevel::error}}, now - 1h);
  one = writer->load("a.one");
  REQUIRE(one.has_value());
  CHECK(one->log_level == LogLevel::error);
  CHECK(std::chrono::abs(one->last_used - now) < 1ms);

  CHECK(writer->remove_unused_since(now - 1h) == 1);  // "two"
  CHECK_FALSE(reader->load("two").has_value());
  reader->remove("a.one");
  CHECK_FALSE(writer->load("a.one").has_value());
}

TEST_CASE("task records: the newest version wins whatever order writes arrive in; expired rows go") {
  embedded_test::TempDir dir;
  const auto path = test_support::fresh_store(dir.file("mcpgate.db"));
  mcpgate::store::TaskTable writer(mcpgate::backend::open_store(path, {}));
  mcpgate::store::TaskTable reader(mcpgate::backend::open_store(path, {}));
  constexpr std::int64_t now = 1'800'000'000'000;
  writer.put({.id = "t1", .subject = "alice", .version = 2,
              .detail = R"({"status":"input_required"})", .expires_ms = now + 1000});
  writer.put({.id = "t1", .subject = "alice", .version = 1,  // a late write of an older state
              .detail = R"({"status":"working"})", .expires_ms = now + 5000});
  auto row = reader.find("t1", now);
  REQUIRE(row.has_value());
  CHECK(row->version == 2);
  CHECK(row->detail == R"({"status":"input_required"})");
  CHECK(row->subject == "alice");
  CHECK(row->expires_ms == now + 1000);

  writer.put({.id = "t1", .subject = "alice", .version = 3,
              .detail = R"({"status":"completed"})", .expires_ms = now + 2000});
  row = reader.find("t1", now);
  REQUIRE(row.has_value());
  CHECK(row->detail == R"({"status":"completed"})");

  writer.put({.id = "t2", .subject = "", .version = 1, .detail = "{}", .expires_ms = now - 1});
  CHECK_FALSE(reader.find("t2", now).has_value());  // expired: not shown, even before a prune
  CHECK(reader.prune(now) == 1);
  CHECK_FALSE(reader.find("t2", 0).has_value());
  CHECK(reader.find("t1", now + 2000).has_value());
  CHECK_FALSE(reader.find("t1", now + 2001).has_value());
}
