// The session store (sessions/session_store.hpp over store/session_table.hpp) on a real store,
// an SQLite file (or a PostgreSQL database in the _pg twin): what one process saves, another
// opening the same store loads; use, expiry, removal.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/sessions/session_store.hpp"
#include "mcpgate/store/sqlite.hpp"

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
