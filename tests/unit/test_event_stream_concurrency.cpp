// EventStream under concurrent producers and writers (also run under ThreadSanitizer in the
// tsan suite): nothing lost, duplicated or reordered.
#include "mcpgate/transport/event_stream.hpp"

#include "event_stream_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using transport::EventStream;
using test::drain;
using test::events_of;
using test::options;
using test::parse_sse;
using test::soon;

// ---------------------------------------------------------------------------------------------
// Concurrency (run under ThreadSanitizer in the tsan suite)

TEST_CASE("EventStream stress: a producer and a writer lose or duplicate nothing") {
  constexpr int total = 20000;
  EventStream s("s", options(total, true));
  const auto gen = s.attach();

  std::vector<std::string> received;
  received.reserve(total);
  bool finished = false, gap = false, out_of_order = false, bad_id = false;
  std::uint64_t last = 0;

  std::thread writer([&] {
    const auto give_up = EventStream::Clock::now() + 60s;
    while (EventStream::Clock::now() < give_up) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      if (batch.gap) gap = true;
      std::string all;
      for (const auto& f : batch.frames) all += *f;
      for (const auto& ev : parse_sse(all).events) {
        const auto pos = EventStream::parse_event_id(ev.id);
        if (!pos || pos->stream_id != "s") {
          bad_id = true;
          continue;
        }
        if (pos->seq != last + 1) out_of_order = true;
        last = pos->seq;
        received.push_back(ev.data);
      }
      if (batch.last_seq != last) out_of_order = true;
      if (batch.finished || batch.closed) {
        finished = batch.finished;
        break;
      }
    }
  });

  std::thread producer([&] {
    for (int i = 0; i < total; ++i) {
      (void)s.push("message", std::to_string(i));
      if (i % 1000 == 0) std::this_thread::yield();
    }
    s.finish();
  });

  producer.join();
  writer.join();

  CHECK(finished);
  CHECK_FALSE(gap);
  CHECK_FALSE(out_of_order);
  CHECK_FALSE(bad_id);
  REQUIRE(received.size() == static_cast<std::size_t>(total));
  bool all_match = true;
  for (int i = 0; i < total; ++i)
    if (received[static_cast<std::size_t>(i)] != std::to_string(i)) all_match = false;
  CHECK(all_match);
}

TEST_CASE("EventStream stress: several producers, one writer, every event exactly once") {
  constexpr int producers = 4;
  constexpr int per_producer = 3000;
  EventStream s("m", options(producers * per_producer, true));
  const auto gen = s.attach();

  std::vector<int> next_expected(producers, 0);
  std::size_t received = 0;
  bool order_ok = true, finished = false;
  std::uint64_t last = 0;

  std::thread writer([&] {
    const auto give_up = EventStream::Clock::now() + 60s;
    while (EventStream::Clock::now() < give_up) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      std::string all;
      for (const auto& f : batch.frames) all += *f;
      for (const auto& ev : parse_sse(all).events) {
        const auto slash = ev.data.find('/');
        const int p = std::stoi(ev.data.substr(0, slash));
        const int n = std::stoi(ev.data.substr(slash + 1));
        if (n != next_expected[static_cast<std::size_t>(p)]) order_ok = false;
        next_expected[static_cast<std::size_t>(p)] = n + 1;
        ++received;
      }
      last = batch.last_seq;
      if (batch.finished || batch.closed) {
        finished = batch.finished;
        break;
      }
    }
  });

  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int n = 0; n < per_producer; ++n)
        (void)s.push("message", std::to_string(p) + "/" + std::to_string(n));
      if (done.fetch_add(1) + 1 == producers) s.finish();
    });
  for (auto& t : threads) t.join();
  writer.join();

  CHECK(finished);
  CHECK(order_ok);
  CHECK(received == static_cast<std::size_t>(producers * per_producer));
  for (int p = 0; p < producers; ++p) CHECK(next_expected[static_cast<std::size_t>(p)] == per_producer);
}

TEST_CASE("EventStream stress: resuming writers taking over each other see every event once") {
  // A client that reconnects with Last-Event-ID: each new writer attaches and resumes from the
  // last seq the previous one delivered.
  constexpr int total = 5000;
  EventStream s("r", options(total, true));
  std::atomic<bool> producer_done{false};
  std::thread producer([&] {
    for (int i = 0; i < total; ++i) (void)s.push("message", std::to_string(i));
    s.finish();
    producer_done = true;
  });

  std::uint64_t last = 0;
  std::size_t received = 0;
  bool in_order = true, finished = false;
  const auto give_up = EventStream::Clock::now() + 60s;
  while (!finished && EventStream::Clock::now() < give_up) {
    const auto gen = s.attach();  // a new connection
    for (int round = 0; round < 3; ++round) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      for (const auto& ev : events_of(batch)) {
        const auto pos = EventStream::parse_event_id(ev.id);
        if (!pos || pos->seq != last + 1 || ev.data != std::to_string(pos->seq - 1)) in_order = false;
        if (pos) last = pos->seq;
        ++received;
      }
      if (batch.finished) {
        finished = true;
        break;
      }
    }
    s.detach(gen);
  }
  producer.join();
  CHECK(producer_done);
  CHECK(finished);
  CHECK(in_order);
  CHECK(received == static_cast<std::size_t>(total));
}
