// An elastic pool: every job gets a thread at once — an idle one if there is one, else a new one
// — up to a cap. Idle threads retire after a while; all are joined on shutdown. Threads have
// small stacks so thousands of long-lived jobs (SSE streams) fit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <string>
#include <vector>

namespace mcpgate::util {

class WorkerPool {
 public:
  struct Options {
    std::size_t max_threads = 10000;
    std::size_t stack_bytes = 256 * 1024;
    std::chrono::milliseconds idle_retire{30000};
    std::size_t idle_floor = 2;  // idle threads kept past idle_retire
    std::string name = "worker";
  };

  explicit WorkerPool(Options options);
  ~WorkerPool();  // shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Start `job` on a thread now. Returns false (job not run) when the cap is reached, thread
  // creation failed, or the pool is shutting down.
  bool try_submit(std::function<void()> job);

  // Wait until no job runs or `timeout` passes; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);

  // Stop taking jobs, let running ones finish, join every thread.
  void shutdown();

  struct Stats {
    std::size_t threads = 0;  // alive
    std::size_t busy = 0;
    std::size_t idle = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Worker;
  static void* thread_main(void* arg);
  void run(Worker* self);
  void reap_finished_locked(std::vector<pthread_t>& to_join);
  static void join_all(std::vector<pthread_t>& threads);

  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable all_exited_;
  std::condition_variable became_idle_;
  std::deque<std::function<void()>> handoff_;  // jobs given to idle threads, never longer than idle_
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  std::vector<pthread_t> finished_;  // exited threads waiting to be joined
  bool stopping_ = false;
  static constexpr std::chrono::seconds trim_interval{10};
  std::chrono::steady_clock::time_point last_trim_{};  // when a retiring thread last trimmed
};

}  // namespace mcpgate::util
