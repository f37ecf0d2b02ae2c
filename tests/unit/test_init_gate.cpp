// InitGate (mcpgate/init_gate.hpp): run-once lazy initialisation that cannot wedge callers.
#include "mcpgate/init_gate.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;

namespace {

using test_support::eventually;

using Gate = InitGate<int>;
using Clock = std::chrono::steady_clock;

Gate::Options options(std::chrono::milliseconds wait_limit, std::chrono::milliseconds first_backoff,
                      std::chrono::milliseconds max_backoff = 60000ms) {
  Gate::Options o;
  o.wait_limit = wait_limit;
  o.first_backoff = first_backoff;
  o.max_backoff = max_backoff;
  return o;
}

// What one get() call ended with.
struct Outcome {
  std::shared_ptr<const int> value;
  std::optional<InitError::Kind> error;
  std::chrono::milliseconds retry_after{0};
  std::string message;
};

Outcome call(Gate& gate) {
  Outcome out;
  try {
    out.value = gate.get();
  } catch (const InitError& e) {
    out.error = e.kind();
    out.retry_after = e.retry_after();
    out.message = e.what();
  }
  return out;
}


}  // namespace

TEST_CASE("64 threads racing get(): the initialiser runs once and all get the same pointer") {
  std::atomic<int> runs{0};
  Gate gate(
      [&] {
        runs.fetch_add(1);
        std::this_thread::sleep_for(50ms);
        return std::make_shared<const int>(42);
      },
      options(30000ms, 1000ms));

  constexpr int threads = 64;
  std::latch start(threads);
  std::vector<Outcome> outcomes(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      start.arrive_and_wait();
      outcomes[static_cast<std::size_t>(i)] = call(gate);
    });
  for (auto& t : pool) t.join();

  CHECK(runs.load() == 1);
  const auto first = outcomes[0].value;
  REQUIRE(first != nullptr);
  CHECK(*first == 42);
  int same = 0, errors = 0;
  for (const auto& o : outcomes) {
    if (o.error) ++errors;
    if (o.value == first) ++same;
  }
  CHECK(errors == 0);
  CHECK(same == threads);

  const auto status = gate.status();
  CHECK(status.state == Gate::State::ready);
  CHECK(status.runs == 1);
  CHECK(status.last_error.empty());
  CHECK(gate.peek() == first);
}

TEST_CASE("the ready path is stable: later get() calls return the same value and never re-run") {
  std::atomic<int> runs{0};
  Gate gate(
      [&] {
        runs.fetch_add(1);
        return std::make_shared<const int>(7);
      },
      options(1000ms, 100ms));
  CHECK(gate.peek() == nullptr);
  CHECK(gate.status().state == Gate::State::idle);
  const auto v = gate.get();
  REQUIRE(v);
  std::vector<std::thread> readers;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t)
    readers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (gate.get() != v) mismatches.fetch_add(1);
        if (gate.peek() != v) mismatches.fetch_add(1);
      }
    });
  for (auto& t : readers) t.join();
  CHECK(mismatches.load() == 0);
  CHECK(runs.load() == 1);
  CHECK(gate.status().state == Gate::State::ready);
  CHECK(gate.status().runs == 1);
}

TEST_CASE("a failing initialiser: every waiter gets failed, status keeps the error, a later call retries") {
  std::atomic<int> runs{0};
  std::atomic<bool> fail{true};
  constexpr int threads = 16;
  std::latch arrived(threads);
  Gate gate(
      [&]() -> std::shared_ptr<const int> {
        runs.fetch_add(1);
        if (fail.load()) {
          // Give every racing thread time to reach the gate and wait on this run.
          std::this_thread::sleep_for(300ms);
          throw std::runtime_error("backend unreachable");
        }
        return std::make_shared<const int>(5);
      },
      options(30000ms, 400ms));

  std::vector<Outcome> outcomes(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      arrived.arrive_and_wait();
      outcomes[static_cast<std::size_t>(i)] = call(gate);
    });
  for (auto& t : pool) t.join();

  CHECK(runs.load() == 1);
  int failed = 0;
  for (const auto& o : outcomes) {
    CHECK(o.value == nullptr);
    REQUIRE(o.error.has_value());
    if (*o.error == InitError::Kind::failed) ++failed;
    CHECK(o.message.find("backend unreachable") != std::string::npos);
  }
  CHECK(failed == threads);

  auto status = gate.status();
  CHECK(status.state == Gate::State::failed);
  CHECK(status.last_error == "backend unreachable");
  CHECK(status.runs == 1);
  CHECK(status.last_duration >= 250ms);

  SUBCASE("during the backoff: backing_off with a positive retry_after, and no new run") {
    const auto o = call(gate);
    REQUIRE(o.error.has_value());
    CHECK(*o.error == InitError::Kind::backing_off);
    CHECK(o.retry_after > 0ms);
    CHECK(o.retry_after <= 400ms);
    CHECK(o.message.find("backend unreachable") != std::string::npos);
    CHECK(runs.load() == 1);
  }
  SUBCASE("after the backoff the next call runs again and succeeds") {
    fail = false;
    std::this_thread::sleep_for(450ms);
    const auto o = call(gate);
    CHECK_FALSE(o.error.has_value());
    REQUIRE(o.value);
    CHECK(*o.value == 5);
    CHECK(runs.load() == 2);
    status = gate.status();
    CHECK(status.state == Gate::State::ready);
    CHECK(status.runs == 2);
    CHECK(status.last_error == "backend unreachable");  // kept after the success
    CHECK(gate.get() == o.value);
  }
}

TEST_CASE("repeated failures back off for longer (doubling, capped)") {
  std::atomic<int> runs{0};
  Gate gate(
      [&]() -> std::shared_ptr<const int> {
        runs.fetch_add(1);
        throw std::runtime_error("nope");
      },
      options(1000ms, 100ms, 250ms));

  // Run 1 fails: the next retry is allowed after first_backoff.
  auto o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::failed);
  CHECK(o.retry_after <= 100ms);
  CHECK(o.retry_after > 50ms);

  // Run 2 (after the backoff) fails: the backoff doubled to 200 ms.
  std::this_thread::sleep_for(130ms);
  o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::failed);
  CHECK(runs.load() == 2);
  CHECK(o.retry_after > 100ms);
  CHECK(o.retry_after <= 200ms);

  // Run 3 fails: 400 ms, capped at max_backoff = 250 ms.
  std::this_thread::sleep_for(230ms);
  o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::failed);
  CHECK(runs.load() == 3);
  CHECK(o.retry_after > 200ms);
  CHECK(o.retry_after <= 250ms);

  // And a call in between is told to back off, without a run.
  o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::backing_off);
  CHECK(runs.load() == 3);
}

TEST_CASE("an initialiser that returns nothing is a failure") {
  Gate gate([] { return std::shared_ptr<const int>(); }, options(1000ms, 1000ms));
  const auto o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::failed);
  CHECK(gate.status().state == Gate::State::failed);
  CHECK_FALSE(gate.status().last_error.empty());
  CHECK(gate.peek() == nullptr);
}

TEST_CASE("a non-std exception is recorded as a failure too") {
  Gate gate([]() -> std::shared_ptr<const int> { throw 42; }, options(1000ms, 1000ms));
  const auto o = call(gate);
  REQUIRE(o.error.has_value());
  CHECK(*o.error == InitError::Kind::failed);
  CHECK(gate.status().last_error == "unknown exception");
}

TEST_CASE("a slow initialiser: waiters time out after wait_limit, the gate still becomes ready") {
  std::atomic<int> runs{0};
  Gate gate(
      [&] {
        runs.fetch_add(1);
        std::this_thread::sleep_for(500ms);
        return std::make_shared<const int>(9);
      },
      options(100ms, 1000ms));

  Outcome first;
  std::thread runner([&] { first = call(gate); });
  REQUIRE(eventually([&] { return gate.status().state == Gate::State::running; }));

  constexpr int waiters = 8;
  std::vector<Outcome> outcomes(waiters);
  std::vector<Clock::duration> took(waiters);
  std::vector<std::thread> pool;
  for (int i = 0; i < waiters; ++i)
    pool.emplace_back([&, i] {
      const auto t0 = Clock::now();
      outcomes[static_cast<std::size_t>(i)] = call(gate);
      took[static_cast<std::size_t>(i)] = Clock::now() - t0;
    });
  for (auto& t : pool) t.join();

  for (int i = 0; i < waiters; ++i) {
    const auto& o = outcomes[static_cast<std::size_t>(i)];
    REQUIRE(o.error.has_value());
    CHECK(*o.error == InitError::Kind::timed_out);
    CHECK(o.retry_after > 0ms);
    // They gave up at their own limit, not when the initialiser finished.
    CHECK(took[static_cast<std::size_t>(i)] < 400ms);
  }

  runner.join();
  CHECK_FALSE(first.error.has_value());
  REQUIRE(first.value);
  CHECK(*first.value == 9);
  CHECK(runs.load() == 1);
  CHECK(gate.status().state == Gate::State::ready);
  CHECK(gate.get() == first.value);
}

TEST_CASE("status() never blocks while the initialiser runs") {
  std::atomic<bool> release{false};
  Gate gate(
      [&] {
        const auto until = Clock::now() + 10s;
        while (!release.load() && Clock::now() < until) std::this_thread::sleep_for(1ms);
        return std::make_shared<const int>(1);
      },
      options(30000ms, 1000ms));

  std::thread runner([&] { (void)call(gate); });
  REQUIRE(eventually([&] { return gate.status().runs == 1; }));

  std::optional<Gate::Status> seen;
  Clock::duration took{};
  std::thread observer([&] {
    const auto t0 = Clock::now();
    seen = gate.status();
    (void)gate.peek();
    took = Clock::now() - t0;
  });
  observer.join();
  release = true;
  runner.join();

  REQUIRE(seen.has_value());
  CHECK(seen->state == Gate::State::running);
  CHECK(seen->runs == 1);
  CHECK(took < 1000ms);
  CHECK(gate.status().state == Gate::State::ready);
}

TEST_CASE("warm_up runs the initialiser eagerly and swallows its failure") {
  std::atomic<int> runs{0};
  Gate ok(
      [&] {
        runs.fetch_add(1);
        return std::make_shared<const int>(3);
      },
      options(1000ms, 1000ms));
  ok.warm_up();
  CHECK(runs.load() == 1);
  REQUIRE(ok.peek());
  CHECK(*ok.peek() == 3);

  Gate bad([]() -> std::shared_ptr<const int> { throw std::runtime_error("x"); },
           options(1000ms, 1000ms));
  CHECK_NOTHROW(bad.warm_up());
  CHECK(bad.status().state == Gate::State::failed);
  CHECK(bad.status().last_error == "x");
}

TEST_CASE("waiters of a failing run under contention: nobody hangs, everyone eventually succeeds") {
  // Fails twice, then succeeds; many threads keep calling get() with short backoffs.
  std::atomic<int> runs{0};
  Gate gate(
      [&]() -> std::shared_ptr<const int> {
        const int n = runs.fetch_add(1) + 1;
        std::this_thread::sleep_for(5ms);
        if (n <= 2) throw std::runtime_error("attempt " + std::to_string(n));
        return std::make_shared<const int>(n);
      },
      options(5000ms, 10ms, 20ms));

  constexpr int threads = 16;
  std::vector<std::shared_ptr<const int>> got(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      const auto deadline = Clock::now() + 20s;
      while (Clock::now() < deadline) {
        auto o = call(gate);
        if (o.value) {
          got[static_cast<std::size_t>(i)] = o.value;
          return;
        }
        std::this_thread::sleep_for(1ms);
      }
    });
  for (auto& t : pool) t.join();

  CHECK(runs.load() == 3);
  for (const auto& v : got) {
    REQUIRE(v);
    CHECK(v == got[0]);
  }
  CHECK(gate.status().last_error == "attempt 2");
}
