// A call_once-style lazy initialiser that cannot wedge its callers.
//
//   idle ──get()──▶ running ──ok──▶ ready (permanent; later get() takes no lock)
//                      │
//                      └─throws──▶ failed ──after backoff, next get()──▶ running …
//
// The first caller runs the initialiser *outside* the mutex; the others sleep on a condition
// variable until it finishes or their deadline passes. A failure is handed to every waiter, kept
// for status reports, and retried by the first caller after a doubling backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcpgate {

// Why get() could not hand out the value.
class InitError : public std::runtime_error {
 public:
  enum class Kind { failed, timed_out, backing_off };
  InitError(Kind kind, const std::string& message, std::chrono::milliseconds retry_after)
      : std::runtime_error(message), kind_(kind), retry_after_(retry_after) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  // How long until a retry may succeed (for Retry-After).
  [[nodiscard]] std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

 private:
  Kind kind_;
  std::chrono::milliseconds retry_after_;
};

template <typename T>
class InitGate {
 public:
  using Clock = std::chrono::steady_clock;
  using Initializer = std::function<std::shared_ptr<const T>()>;

  enum class State { idle, running, ready, failed };

  struct Options {
    std::chrono::milliseconds wait_limit{30000};     // how long a caller waits for a run
    std::chrono::milliseconds first_backoff{2000};   // after the first failure
    std::chrono::milliseconds max_backoff{60000};
  };

  struct Status {
    State state;
    std::string last_error;          // of the latest failed run, kept after a later success
    unsigned runs = 0;               // how many times the initialiser has started
    std::chrono::milliseconds last_duration{0};
  };

  InitGate(Initializer initializer, Options options)
      : initializer_(std::move(initializer)), options_(options) {}

  InitGate(const InitGate&) = delete;
  InitGate& operator=(const InitGate&) = delete;

  // The value, initialising it if needed. Throws InitError when this call cannot have it.
  std::shared_ptr<const T> get() {
    if (ready_.load(std::memory_order_acquire)) return value_;  // published once, never changed
    const auto deadline = Clock::now() + options_.wait_limit;
    std::unique_lock lock(mutex_);
    for (;;) {
      switch (state_) {
        case State::ready:
          return value_;
        case State::idle:
          return run(lock);
        case State::failed:
          if (Clock::now() >= retry_at_) return run(lock);
          throw InitError(InitError::Kind::backing_off,
                          "initialisation failed: " + last_error_ + " (retrying soon)",
                          remaining(retry_at_));
        case State::running: {
          const unsigned run_seen = runs_;
          const bool done = changed_.wait_until(lock, deadline, [&] {
            return state_ != State::running || runs_ != run_seen;
          });
          if (!done)
            throw InitError(InitError::Kind::timed_out,
                            "initialisation is still running after " +
                                std::to_string(options_.wait_limit.count()) + " ms",
                            std::chrono::milliseconds(1000));
          if (state_ == State::failed && runs_ == run_seen)
            throw InitError(InitError::Kind::failed, "initialisation failed: " + last_error_,
                            remaining(retry_at_));
          break;  // ready, or a newer run: look again
        }
      }
    }
  }

  // Start initialising without waiting for it (eager start). Runs on the calling thread.
  void warm_up() {
    try {
      (void)get();
    } catch (const InitError&) {
      // Recorded in status(); the next get() after the backoff retries.
    }
  }

  // Never blocks on a running initialiser.
  [[nodiscard]] Status status() const {
    std::lock_guard lock(mutex_);
    return Status{state_, last_error_, runs_, last_duration_};
  }

  // The value if ready, else null; never waits.
  [[nodiscard]] std::shared_ptr<const T> peek() const {
    return ready_.load(std::memory_order_acquire) ? value_ : nullptr;
  }

 private:
  static std::chrono::milliseconds remaining(Clock::time_point at) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at - Clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }

  // Called with the lock held; runs the initialiser with it released.
  std::shared_ptr<const T> run(std::unique_lock<std::mutex>& lock) {
    state_ = State::running;
    ++runs_;
    lock.unlock();
    const auto started = Clock::now();
    std::shared_ptr<const T> value;
    std::string error;
    try {
      value = initializer_();
      if (!value) error = "the initialiser returned nothing";
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    lock.lock();
    last_duration_ = took;
    if (error.empty()) {
      value_ = value;
      state_ = State::ready;
      ready_.store(true, std::memory_order_release);
      backoff_ = options_.first_backoff;
    } else {
      last_error_ = error;
      state_ = State::failed;
      retry_at_ = Clock::now() + backoff_;
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    }
    lock.unlock();
    changed_.notify_all();
    lock.lock();
    if (!error.empty())
      throw InitError(InitError::Kind::failed, "initialisation failed: " + error,
                      remaining(retry_at_));
    return value;
  }

  const Initializer initializer_;
  const Options options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::idle;
  unsigned runs_ = 0;
  std::string last_error_;
  std::chrono::milliseconds last_duration_{0};
  std::chrono::milliseconds backoff_ = options_.first_backoff;
  Clock::time_point retry_at_{};
  std::shared_ptr<const T> value_;
  std::atomic<bool> ready_{false};
};

}  // namespace mcpgate
