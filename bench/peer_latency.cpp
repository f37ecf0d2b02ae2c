// Peer-event delay: the time from publish() on one bus to delivery on another bus over the same
// store (sessions/peer_bus.hpp), as two mcpgate processes would see it. On SQLite the reader
// polls (every 100 ms by default); on PostgreSQL NOTIFY wakes it. Events are spaced by a random
// pause so that they do not fall in step with the poll; publish()'s own time is shown too (one
// transaction: SQLite's fsync, PostgreSQL's round trips). Prints a Markdown table. Not a
// test: nothing here asserts a speed.
//
//   peer_latency --store /tmp/x/mcpgate.db [--events 200] [--gap-ms 20] [--threads 1] [--rate 200]
//
// --threads N publishes from N threads at once (the events split between them) and --rate sets
// the bus's events/s budget (200, the default, drops the rest): with --gap-ms 0 and a high
// rate the table's publishes/s is what one store takes.
//   peer_latency --store "$(scripts/pg-throwaway.sh start /tmp/pg.x)"
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/sessions/peer_bus.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string store;
  int events = 200;
  int gap_ms = 20;
  int threads = 1;
  double rate = mcpgate::sessions::PeerBusOptions{}.max_events_per_second;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--store") store = argv[i + 1];
    else if (flag == "--events") events = std::atoi(argv[i + 1]);
    else if (flag == "--gap-ms") gap_ms = std::atoi(argv[i + 1]);
    else if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--rate") rate = std::atof(argv[i + 1]);
  }
  if (store.empty() || events <= 0 || gap_ms < 0 || threads <= 0 || rate <= 0) {
    std::fprintf(stderr, "usage: peer_latency --store PATH|postgresql://... [--events N] [--gap-ms MS]\n");
    return 2;
  }

  auto sender_db = mcpgate::backend::open_store(store, {});
  auto receiver_db = mcpgate::backend::open_store(store, {});
  const std::string kind(sender_db->kind());
  auto sender = mcpgate::sessions::make_store_peer_bus(
      sender_db, mcpgate::sessions::PeerBusOptions{.max_events_per_second = rate});
  auto receiver = mcpgate::sessions::make_store_peer_bus(receiver_db);

  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<double> delays_ms;
  receiver->start([&](const mcpgate::sessions::PeerEvent& event) {
    const auto sent = Clock::time_point(Clock::duration(std::stoll(event.body)));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    {
      std::lock_guard lock(mutex);
      delays_ms.push_back(ms);
    }
    arrived.notify_all();
  });
  sender->start([](const mcpgate::sessions::PeerEvent&) {});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the LISTEN connection is up

  std::atomic<int> sent{0};
  std::mutex publish_mutex;
  std::vector<double> publish_ms;
  const auto began_all = Clock::now();
  std::vector<std::thread> publishers;
  for (int t = 0; t < threads; ++t)
    publishers.emplace_back([&, t] {
      std::mt19937 random(42 + static_cast<unsigned>(t));
      std::uniform_int_distribution<int> pause(gap_ms / 2, gap_ms + gap_ms / 2);
      std::vector<double> mine;
      for (int i = t; i < events; i += threads) {
        const auto began = Clock::now();
        const auto now = std::to_string(began.time_since_epoch().count());
        if (sender->publish({.kind = mcpgate::sessions::PeerEvent::Kind::list_changed, .session_id = {}, .body = now}))
          ++sent;
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
      }
      std::lock_guard lock(publish_mutex);
      publish_ms.insert(publish_ms.end(), mine.begin(), mine.end());
    });
  for (auto& publisher : publishers) publisher.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - began_all).count();
  {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, std::chrono::seconds(10),
                     [&] { return delays_ms.size() >= static_cast<std::size_t>(sent.load()); });
  }
  receiver->stop();
  sender->stop();

  std::printf("| store | wake-up | threads | events sent | delivered | publishes/s | delay p50 ms | p99 ms | max ms | publish p50 ms | p99 ms |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| %s | %s | %d | %d | %zu | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", kind.c_str(),
              kind == "postgresql" ? "LISTEN/NOTIFY" : "poll every 100 ms", threads, sent.load(),
              delays_ms.size(), sent.load() / seconds,
              percentile(delays_ms, 50), percentile(delays_ms, 99), percentile(delays_ms, 100),
              percentile(publish_ms, 50), percentile(publish_ms, 99));
  return delays_ms.size() == static_cast<std::size_t>(sent.load()) ? 0 : 1;
}
