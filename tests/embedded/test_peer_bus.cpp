// The peer bus (sessions/peer_bus.hpp) between two opens of one store, as two processes would
// have: an SQLite file (polled) or, in the _pg twin, a PostgreSQL database, where NOTIFY on
// the bus's own LISTEN connection wakes the reader. The PostgreSQL cases run the bus with a
// poll interval far longer than their bounded waits, so only a notification can deliver in
// time; they kill the LISTEN connection and check that it comes back.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/sessions/peer_bus.hpp"
#include "mcpgate/store/postgres.hpp"

#include "temp_dir.hpp"
#include "test_store.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using mcpgate::sessions::PeerBus;
using mcpgate::sessions::PeerBusOptions;
using mcpgate::sessions::PeerEvent;

namespace {

// Far longer than any bounded wait below: an event that arrives in time was not polled for.
constexpr auto bus_slow_poll = std::chrono::milliseconds(60000);
constexpr auto bus_bound = std::chrono::milliseconds(10000);

// What a bus delivered, for a test thread to wait on.
class BusInbox {
 public:
  PeerBus::Handler handler() {
    return [this](const PeerEvent& event) {
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(event.body);
      }
      arrived_.notify_all();
    };
  }
  // True once an event with `body` arrived, within `bound`.
  bool received(const std::string& body, std::chrono::milliseconds bound = bus_bound) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, bound, [&] {
      return std::find(bodies_.begin(), bodies_.end(), body) != bodies_.end();
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> bodies_;
};

PeerEvent bus_list_changed(const std::string& body) {
  return PeerEvent{.kind = PeerEvent::Kind::list_changed, .session_id = {}, .body = body};
}

// Runs `sql` (one row, one integer column) on the database `uri` from a connection of its own.
long bus_sql_count(const std::string& uri, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri.c_str()), &PQfinish);
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
  return std::stol(PQgetvalue(result.get(), 0, 0));
}

constexpr const char* bus_listeners_sql =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND application_name = 'mcpgate listener'";
constexpr const char* bus_kill_listeners_sql =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
    "current_database() AND application_name = 'mcpgate listener'";

// Waits (bounded) until `n` LISTEN connections are open on the database.
bool bus_listening(const std::string& uri, long n) {
  const auto deadline = std::chrono::steady_clock::now() + bus_bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (bus_sql_count(uri, bus_listeners_sql) >= n) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("peer bus: an event published on one open of the store reaches another") {
  embedded_test::TempDir dir;
  const auto location = test_support::fresh_store(dir.file("mcpgate.db"));
  auto sender = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}));
  auto receiver = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}));
  BusInbox inbox;
  BusInbox own;
  receiver->start(inbox.handler());
  sender->start(own.handler());

  REQUIRE(sender->publish(bus_list_changed("tools")));
  CHECK(inbox.received("tools"));
  CHECK(!own.received("tools", 300ms));  // a process skips its own events
}

TEST_CASE("peer bus: stop() returns while the bus waits for the next event") {
  embedded_test::TempDir dir;
  const auto location = test_support::fresh_store(dir.file("mcpgate.db"));
  auto bus = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}),
                                                    PeerBusOptions{.poll_interval = bus_slow_poll});
  BusInbox inbox;
  bus->start(inbox.handler());
  if (test_support::testing_postgresql()) CHECK(bus_listening(location, 1));
  std::this_thread::sleep_for(200ms);  // into its wait
  auto stopped = std::async(std::launch::async, [&] { bus->stop(); });
  // Bounded far below the poll interval: a stop that waited for the next read would miss it.
  CHECK(stopped.wait_for(bus_bound) == std::future_status::ready);
}

TEST_CASE("peer bus on PostgreSQL: NOTIFY wakes the other bus, long before its next poll") {
  if (!test_support::testing_postgresql()) return;
  const auto location = test_support::fresh_store({});
  const PeerBusOptions slow{.poll_interval = bus_slow_poll};
  auto sender = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}), slow);
  auto receiver = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}), slow);
  BusInbox inbox;
  BusInbox own;
  receiver->start(inbox.handler());
  sender->start(own.handler());
  CHECK(bus_listening(location, 2));

  for (const std::string body : {"tools", "resources", "prompts"}) {
    REQUIRE(sender->publish(bus_list_changed(body)));
    CHECK(inbox.received(body));
  }
}

TEST_CASE("peer bus on PostgreSQL: a killed LISTEN connection is re-opened and events still arrive") {
  if (!test_support::testing_postgresql()) return;
  const auto location = test_support::fresh_store({});
  const PeerBusOptions slow{.poll_interval = bus_slow_poll};
  auto sender = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}), slow);
  auto receiver = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}), slow);
  BusInbox inbox;
  receiver->start(inbox.handler());
  sender->start([](const PeerEvent&) {});
  CHECK(bus_listening(location, 2));

  CHECK(bus_sql_count(location, bus_kill_listeners_sql) == 2);
  REQUIRE(sender->publish(bus_list_changed("after the kill")));
  CHECK(inbox.received("after the kill"));

  // Listening again: the next event comes by notification on the new connection.
  CHECK(bus_listening(location, 2));
  REQUIRE(sender->publish(bus_list_changed("on the new connection")));
  CHECK(inbox.received("on the new connection"));
}

TEST_CASE("peer bus: events published at once from several threads and opens all arrive") {
  embedded_test::TempDir dir;
  const auto location = test_support::fresh_store(dir.file("mcpgate.db"));
  const PeerBusOptions unlimited{.max_events_per_second = 1e9};
  auto receiver = mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}));
  BusInbox inbox;
  receiver->start(inbox.handler());
  std::vector<std::unique_ptr<PeerBus>> senders;
  for (int i = 0; i < 2; ++i) {
    senders.push_back(mcpgate::sessions::make_store_peer_bus(mcpgate::backend::open_store(location, {}), unlimited));
    senders.back()->start([](const PeerEvent&) {});
  }
  if (test_support::testing_postgresql()) CHECK(bus_listening(location, 3));

  // Each publisher's sequence number is taken before its commit: a reader that saw a later
  // number first must still get the earlier one.
  constexpr int threads_per_sender = 4;
  constexpr int events_per_thread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * threads_per_sender; ++t)
    threads.emplace_back([&, t] {
      for (int e = 0; e < events_per_thread; ++e)
        senders[static_cast<std::size_t>(t % 2)]->publish(
            bus_list_changed(std::to_string(t) + "." + std::to_string(e)));
    });
  for (auto& thread : threads) thread.join();
  int missing = 0;
  for (int t = 0; t < 2 * threads_per_sender; ++t)
    for (int e = 0; e < events_per_thread; ++e)
      if (!inbox.received(std::to_string(t) + "." + std::to_string(e), 2000ms)) ++missing;
  CHECK(missing == 0);
}

TEST_CASE("peer bus: a LISTEN connection that cannot be opened says why, without the password") {
  const std::string uri = "postgresql://mcpgate:s3cret-pw@/db?host=/nonexistent-mcpgate-dir&port=5432";
  auto listener = mcpgate::store::postgres_listener(uri, mcpgate::store::redact_uri(uri), "mcpgate_test");
  CHECK(!listener->wait(100ms));
  const auto trouble = listener->trouble();
  CHECK(trouble.find("cannot LISTEN on PostgreSQL at postgresql://mcpgate:***@") != std::string::npos);
  CHECK(trouble.find("nonexistent-mcpgate-dir") != std::string::npos);
  CHECK(trouble.find("s3cret-pw") == std::string::npos);
}
