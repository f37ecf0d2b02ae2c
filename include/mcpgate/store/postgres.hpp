// The PostgreSQL engine of the store (store/database.hpp), over libpq: `--data
// postgresql://user@host:port/db` (any libpq URI, or postgres://) for several mcpgate instances
// on several hosts sharing one database.
//
// - Statements are prepared on the server once per connection (PQprepare, cached by SQL text)
//   and run with text parameters whose types the server infers from the SQL. The shared
//   dialect's `?` and `?N` become `$N` (postgres_placeholders).
// - write() transactions run SERIALIZABLE, so the routes' read-modify-write cycles behave as
//   under SQLite's single writer; read() transactions are REPEATABLE READ snapshots. A
//   serialization failure (40001) or deadlock (40P01) is a retryable StoreError: Database runs
//   the transaction again.
// - A connection the server dropped (a restart, a failover, an idle timeout) is broken(): the
//   pool discards it and the transaction is retried on a fresh one, unless the loss happened
//   during COMMIT, whose outcome is then unknown: that error is not retried and says so.
// - A transaction left open by a frozen or unreachable instance is ended by the server after
//   OpenOptions::idle_transaction_timeout, so that its locks do not stall the other instances.
// - Connection::notify is pg_notify(channel, payload), sent at COMMIT; Database::listen opens a
//   LISTEN connection of its own, outside the pool (postgres_listener below), so each process
//   that listens holds one more server connection than its pools.
// - Migrations are versioned in the table mcpgate_schema_migrations, applied under an advisory
//   lock so that instances starting together migrate once.
// - casefold(text): PostgreSQL 15 has no case folding (PostgreSQL 18's casefold() takes over
//   by itself: pg_catalog comes first in the search path). Migration 1 defines it as
//   lower(upper(x)) under ICU's root locale, with the final sigma mapped to sigma: that is
//   Unicode full case folding for ß→ss, ligatures, Greek, Cyrillic and the rest of what
//   util::fold_case does to the needle, and needs a UTF-8 database. A column folded by the
//   application would be exact, but costs a second copy of every searched text column and a
//   write path that keeps it in step; the routes instead stay the same SQL on both engines.
//
// Passwords: location() and every message name the database by its URI with the password
// replaced by "***"; libpq's own messages never carry it.
#pragma once

#include "mcpgate/store/database.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace mcpgate::store {

// A PostgreSQL call failed. sqlstate(): the server's SQLSTATE ("40001", "23505", ...), or
// "08006" when the connection was lost.
class PgError : public StoreError {
 public:
  PgError(std::string sqlstate, const std::string& message, Traits traits)
      : StoreError(message, traits), sqlstate_(std::move(sqlstate)) {}
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The URI with its password (user:PASSWORD@ or ?password=) replaced by "***".
[[nodiscard]] std::string redact_uri(std::string_view uri);

// SQLite's placeholders in `sql` as PostgreSQL's: `?N` → `$N`, a bare `?` → one more than the
// largest index so far (SQLite's rule). Quoted text ('...', "...") is left alone. `count`
// receives the largest index.
[[nodiscard]] std::string postgres_placeholders(std::string_view sql, int& count);

// LISTEN `channel` on a connection of its own to `uri` (store/database.hpp's ChangeListener),
// opened without blocking in the first wait() and re-opened with backoff after a loss: 250 ms
// doubling to 10 s, so that a restarting server is not hammered and a blip costs little.
// TCP keepalives (unless the URI sets them) notice a vanished server within about a minute;
// the application name (unless the URI sets one) is "mcpgate listener". `shown` is the URI
// for messages, without its password.
[[nodiscard]] std::unique_ptr<ChangeListener> postgres_listener(std::string uri, std::string shown,
                                                                std::string channel);

// Connections to the database the libpq URI names. Pools of it are bounded (10 connections
// unless OpenOptions::max_connections says otherwise). Each connection gets the options'
// idle_transaction_timeout as its session's idle_in_transaction_session_timeout.
[[nodiscard]] std::unique_ptr<Driver> postgres_driver(std::string uri, const OpenOptions& options = {});

}  // namespace mcpgate::store
