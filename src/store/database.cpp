#include "mcpgate/store/database.hpp"

#include "mcpgate/store/postgres.hpp"
#include "mcpgate/store/sqlite.hpp"

#include <algorithm>
#include <functional>

namespace mcpgate::store {

bool is_postgresql_uri(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string shown_location(std::string_view location) {
  return is_postgresql_uri(location) ? redact_uri(location) : std::string(location);
}

std::unique_ptr<Driver> make_driver(const std::string& location, const OpenOptions& options) {
  if (is_postgresql_uri(location)) return postgres_driver(location, options);
  return sqlite_driver(location, options);
}

// ---- Database ------------------------------------------------------------------------------

Database::Database(const std::string& location, std::vector<Migration> migrations,
                   OpenOptions options)
    : Database(make_driver(location, options), std::move(migrations), options) {}

Database::Database(std::unique_ptr<Driver> driver, std::vector<Migration> migrations,
                   OpenOptions options)
    : driver_(std::move(driver)), options_(options) {
  if (options_.max_connections == 0) options_.max_connections = driver_->default_max_connections();
  auto first = driver_->connect();
  driver_->migrate(*first, migrations);
  idle_.push_back(std::move(first));
  open_ = 1;
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
    std::unique_lock lock(mutex_);
    const auto available = [this] {
      return !idle_.empty() || options_.max_connections == 0 || open_ < options_.max_connections;
    };
    if (!returned_.wait_for(lock, options_.lease_timeout, available))
      throw StoreError("all " + std::to_string(options_.max_connections) +
                           " store connections stayed busy for " +
                           std::to_string(options_.lease_timeout.count()) + " ms",
                       StoreError::Traits{});
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // reserved before connecting, so the bound holds while we connect
  }
  // Connecting runs outside the mutex: it touches the file or the network.
  try {
    return Lease(this, driver_->connect());
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    returned_.notify_one();
    throw;
  }
}

void Database::give_back(std::unique_ptr<Connection> connection) noexcept {
  // A connection left inside a transaction (a bug elsewhere) must not carry it to the next user.
  if (!connection->broken() && connection->in_transaction()) connection->rollback();
  std::unique_ptr<Connection> surplus;
  {
    std::lock_guard lock(mutex_);
    if (!connection->broken() && !connection->in_transaction() &&
        idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(connection));
    } else {
      surplus = std::move(connection);
      --open_;
    }
  }
  returned_.notify_one();
  // surplus is closed here, outside the mutex
}

int Database::schema_version() {
  auto connection = lease();
  return driver_->schema_version(*connection);
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
