// util::WorkerPool (util/worker_pool.hpp): an elastic pool that starts every job at once.
#include "mcpgate/util/worker_pool.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using util::WorkerPool;

namespace {

using test_support::eventually;


using Clock = std::chrono::steady_clock;


WorkerPool::Options pool_options(std::size_t max_threads = 64) {
  WorkerPool::Options o;
  o.max_threads = max_threads;
  o.name = "test";
  return o;
}

// A gate that blocking jobs wait on until the test opens it (with a safety timeout).
class Signal {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, 30s, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Collects what the pool logs, to check that nothing is reported as failing when nothing failed.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::err) errors_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> errors_;
};

}  // namespace

TEST_CASE("WorkerPool: N blocking jobs all start concurrently") {
  WorkerPool pool(pool_options());
  constexpr int jobs = 16;
  Signal gate;
  std::atomic<int> started{0}, finished{0};
  for (int i = 0; i < jobs; ++i)
    REQUIRE(pool.try_submit([&] {
      started.fetch_add(1);
      gate.wait();
      finished.fetch_add(1);
    }));
  // Every job is running at the same time: none waits for another to finish.
  CHECK(eventually([&] { return started.load() == jobs; }));
  CHECK(finished.load() == 0);
  auto stats = pool.stats();
  CHECK(stats.threads == static_cast<std::size_t>(jobs));
  CHECK(stats.busy == static_cast<std::size_t>(jobs));
  CHECK(stats.idle == 0);
  CHECK_FALSE(pool.wait_idle(20ms));

  gate.open();
  CHECK(pool.wait_idle(10s));
  CHECK(finished.load() == jobs);
  stats = pool.stats();
  CHECK(stats.busy == 0);
  CHECK(stats.idle == stats.threads);
}

TEST_CASE("WorkerPool: at the cap try_submit returns false and does not run the job") {
  WorkerPool pool(pool_options(2));
  Signal gate;
  std::atomic<int> started{0};
  std::atomic<bool> extra_ran{false};
  for (int i = 0; i < 2; ++i)
    REQUIRE(pool.try_submit([&] {
      started.fetch_add(1);
      gate.wait();
    }));
  REQUIRE(eventually([&] { return started.load() == 2; }));
  CHECK_FALSE(pool.try_submit([&] { extra_ran = true; }));
  CHECK(pool.stats().threads == 2);

  gate.open();
  REQUIRE(pool.wait_idle(10s));
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(extra_ran.load());
  // Once a thread is free, a job is accepted again (on an idle thread).
  std::atomic<bool> later_ran{false};
  CHECK(pool.try_submit([&] { later_ran = true; }));
  CHECK(eventually([&] { return later_ran.load(); }));
  CHECK(pool.stats().threads <= 2);
}

TEST_CASE("WorkerPool: idle threads are reused for sequential jobs") {
  WorkerPool pool(pool_options());
  std::mutex m;
  std::condition_variable cv;
  int done = 0;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(pool.try_submit([&] {
      std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
      ++done;
      cv.notify_all();
    }));
    {
      std::unique_lock lock(m);
      REQUIRE(cv.wait_for(lock, 10s, [&] { return done == i + 1; }));
    }
    // Wait for the thread to be back in the idle set before handing out the next job.
    REQUIRE(eventually([&] {
      const auto s = pool.stats();
      return s.busy == 0 && s.idle >= 1;
    }));
  }
  CHECK(pool.stats().threads == 1);
  std::lock_guard lock(m);
  CHECK(ids.size() == 1);
}

TEST_CASE("WorkerPool: wait_idle returns only after a job handed to an idle thread has run") {
  WorkerPool pool(pool_options());
  // Warm up: one thread, now idle.
  std::atomic<bool> warm{false};
  REQUIRE(pool.try_submit([&] { warm = true; }));
  REQUIRE(pool.wait_idle(10s));
  REQUIRE(warm.load());
  REQUIRE(eventually([&] { return pool.stats().idle == 1; }));

  int early = 0;
  for (int round = 0; round < 100; ++round) {
    std::atomic<bool> done{false};
    REQUIRE(pool.try_submit([&] {
      std::this_thread::sleep_for(1ms);
      done = true;
    }));
    REQUIRE(pool.wait_idle(10s));
    if (!done.load()) ++early;
    // Let the job finish before `done` goes out of scope, whatever wait_idle did.
    REQUIRE(eventually([&] { return done.load(); }));
    REQUIRE(eventually([&] { return pool.stats().busy == 0; }));
  }
  // A job handed to an idle thread still counts: wait_idle() must not return before it ran.
  CHECK(early == 0);
}

TEST_CASE("WorkerPool: wait_idle times out while a job runs") {
  WorkerPool pool(pool_options());
  Signal gate;
  std::atomic<bool> started{false};
  REQUIRE(pool.try_submit([&] {
    started = true;
    gate.wait();
  }));
  REQUIRE(eventually([&] { return started.load(); }));
  const auto t0 = Clock::now();
  CHECK_FALSE(pool.wait_idle(50ms));
  CHECK(Clock::now() - t0 >= 45ms);
  gate.open();
  CHECK(pool.wait_idle(10s));
}

TEST_CASE("WorkerPool: wait_idle on a fresh pool is immediately true") {
  WorkerPool pool(pool_options());
  CHECK(pool.wait_idle(0ms));
  CHECK(pool.stats().threads == 0);
}

TEST_CASE("WorkerPool: shutdown waits for running jobs, joins every thread and refuses new jobs") {
  WorkerPool pool(pool_options());
  constexpr int jobs = 6;
  std::atomic<int> started{0}, finished{0};
  for (int i = 0; i < jobs; ++i)
    REQUIRE(pool.try_submit([&] {
      started.fetch_add(1);
      std::this_thread::sleep_for(100ms);
      finished.fetch_add(1);
    }));
  REQUIRE(eventually([&] { return started.load() == jobs; }));
  pool.shutdown();
  CHECK(finished.load() == jobs);
  CHECK(pool.stats().threads == 0);

  std::atomic<bool> ran{false};
  CHECK_FALSE(pool.try_submit([&] { ran = true; }));
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(ran.load());
  CHECK_NOTHROW(pool.shutdown());  // idempotent
}

TEST_CASE("WorkerPool: shutdown with idle threads returns promptly") {
  WorkerPool::Options o = pool_options();
  o.idle_retire = 60000ms;
  WorkerPool pool(o);
  for (int i = 0; i < 4; ++i) REQUIRE(pool.try_submit([] {}));
  REQUIRE(pool.wait_idle(10s));
  const auto t0 = Clock::now();
  pool.shutdown();
  CHECK(Clock::now() - t0 < 5s);
  CHECK(pool.stats().threads == 0);
}

TEST_CASE("WorkerPool: a job that throws does not take the pool down") {
  WorkerPool pool(pool_options());
  REQUIRE(pool.try_submit([] { throw std::runtime_error("job failure"); }));
  REQUIRE(pool.try_submit([] { throw 7; }));
  REQUIRE(eventually([&] { return pool.stats().busy == 0; }));
  std::atomic<bool> ran{false};
  REQUIRE(pool.try_submit([&] { ran = true; }));
  CHECK(eventually([&] { return ran.load(); }));
}

TEST_CASE("WorkerPool: idle threads retire down to the idle floor") {
  WorkerPool::Options o = pool_options();
  o.idle_retire = 50ms;
  o.idle_floor = 2;
  WorkerPool pool(o);
  Signal gate;
  std::atomic<int> started{0};
  for (int i = 0; i < 5; ++i)
    REQUIRE(pool.try_submit([&] {
      started.fetch_add(1);
      gate.wait();
    }));
  REQUIRE(eventually([&] { return started.load() == 5; }));
  CHECK(pool.stats().threads == 5);
  gate.open();
  CHECK(eventually([&] { return pool.stats().threads == 2; }));
  std::this_thread::sleep_for(200ms);
  CHECK(pool.stats().threads == 2);  // the floor stays
  // (Not checking stats().idle here: the floor-thread bug below makes a kept thread look busy
  // for a moment every idle_retire period, which only a lucky sample would see.)
  // Retired threads were joined; new jobs still run.
  std::atomic<bool> ran{false};
  REQUIRE(pool.try_submit([&] { ran = true; }));
  CHECK(eventually([&] { return ran.load(); }));
}

TEST_CASE("WorkerPool stress: many submitters, every accepted job runs exactly once") {
  WorkerPool pool(pool_options(32));
  constexpr int submitters = 6;
  constexpr int per_submitter = 300;
  std::atomic<int> accepted{0}, ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < per_submitter; ++i)
        if (pool.try_submit([&] { ran.fetch_add(1); })) accepted.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(eventually([&] { return ran.load() == accepted.load(); }));
  CHECK(accepted.load() > 0);
  CHECK(pool.stats().threads <= 32);
  pool.shutdown();
  CHECK(ran.load() == accepted.load());
}

TEST_CASE("WorkerPool: threads kept idle at the floor do not report failing jobs") {
  auto sink = std::make_shared<CaptureSink>();
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  {
    WorkerPool::Options o = pool_options();
    o.idle_retire = 20ms;
    o.idle_floor = 2;
    WorkerPool pool(o);
    std::atomic<int> ran{0};
    REQUIRE(pool.try_submit([&] { ran.fetch_add(1); }));
    REQUIRE(eventually([&] { return ran.load() == 1 && pool.stats().idle == 1; }));
    // Several idle_retire periods pass with the only thread below the floor: it stays.
    std::this_thread::sleep_for(200ms);
    CHECK(pool.stats().threads == 1);
    pool.shutdown();
  }
  spdlog::set_default_logger(previous);
  const auto errors = sink->errors();
  for (const auto& e : errors) MESSAGE("logged: " << e);
  // Threads kept at the idle floor keep waiting when their idle period ends; they must not run
  // (and log the failure of) an empty job.
  CHECK(errors.empty());
}

namespace {

// Lives until its thread exits: its destructor is the last thing the thread does before it can
// be joined, and takes a while (as unmapping a stack does on a busy machine).
struct SlowThreadExit {
  bool armed = false;
  ~SlowThreadExit() {
    if (armed) std::this_thread::sleep_for(50ms);
  }
};
thread_local SlowThreadExit slow_thread_exit;

}  // namespace

TEST_CASE("WorkerPool: at shutdown threads exit side by side, not each waiting for the previous") {
  // 60 threads whose exit takes 50 ms each: chained (each exiting thread joining the one that
  // exited before it), shutdown takes 60 x 50 ms = 3 s; side by side, about 50 ms.
  constexpr int threads = 60;
  WorkerPool pool(pool_options(threads));
  Signal release;
  std::atomic<int> running{0};
  for (int i = 0; i < threads; ++i)
    REQUIRE(pool.try_submit([&] {
      slow_thread_exit.armed = true;
      ++running;
      release.wait();
    }));
  REQUIRE(eventually([&] { return running.load() == threads; }, 5000ms));
  std::thread opener([&] {
    std::this_thread::sleep_for(20ms);
    release.open();
  });
  const auto start = Clock::now();
  pool.shutdown();
  const auto took = Clock::now() - start;
  opener.join();
  CHECK(pool.stats().threads == 0);
  CHECK(took < 1500ms);  // half the chained time; side by side needs a few percent of it
}
