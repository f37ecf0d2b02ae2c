#include "mcpgate/util/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <exception>

namespace mcpgate::util {

struct WorkerPool::Worker {
  WorkerPool* pool;
  std::function<void()> first_job;
};

WorkerPool::WorkerPool(Options options) : options_(std::move(options)) {}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::reap_finished_locked(std::vector<pthread_t>& to_join) {
  to_join.insert(to_join.end(), finished_.begin(), finished_.end());
  finished_.clear();
}

void WorkerPool::join_all(std::vector<pthread_t>& threads) {
  for (auto thread : threads) pthread_join(thread, nullptr);
  threads.clear();
}

bool WorkerPool::try_submit(std::function<void()> job) {
  std::vector<pthread_t> to_join;
  {
    std::unique_lock lock(mutex_);
    if (stopping_) return false;
    reap_finished_locked(to_join);
    if (idle_ > handoff_.size()) {
      handoff_.push_back(std::move(job));
      lock.unlock();
      work_available_.notify_one();
      join_all(to_join);
      return true;
    }
    if (threads_ >= options_.max_threads) {
      lock.unlock();
      join_all(to_join);
      return false;
    }
    ++threads_;
  }
  join_all(to_join);

  auto* worker = new Worker{this, std::move(job)};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, options_.stack_bytes);
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, &WorkerPool::thread_main, worker);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete worker;
    {
      std::lock_guard lock(mutex_);
      --threads_;
    }
    all_exited_.notify_all();
    spdlog::warn("{} pool: cannot start a thread (error {})", options_.name, rc);
    return false;
  }
  return true;
}

void* WorkerPool::thread_main(void* arg) {
  auto* worker = static_cast<Worker*>(arg);
  worker->pool->run(worker);
  return nullptr;
}

void WorkerPool::run(Worker* self) {
  std::function<void()> job = std::move(self->first_job);
  delete self;
  std::unique_lock lock(mutex_);
  for (;;) {
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("{} pool: a job threw: {}", options_.name, e.what());
    } catch (...) {
      spdlog::error("{} pool: a job threw an unknown exception", options_.name);
    }
    job = nullptr;  // release captures before idling
    lock.lock();
    ++idle_;
    if (idle_ == threads_ && handoff_.empty()) became_idle_.notify_all();
    bool retire = false;
    while (!job && !retire) {
      const bool woken = work_available_.wait_for(lock, options_.idle_retire, [&] {
        return !handoff_.empty() || stopping_;
      });
      if (!handoff_.empty()) {
        job = std::move(handoff_.front());
        handoff_.pop_front();
      } else {
        // Retire on shutdown, or after idling this long while enough others stay idle.
        retire = stopping_ || (!woken && idle_ > options_.idle_floor);
      }
    }
    --idle_;
    if (retire) break;
  }
  --threads_;
  // Join the threads that retired before this one (never itself: it is not in the list yet),
  // so a retired thread's stack is released now, not at the next submit, which may never
  // come once a burst is over. At most the last retired thread of a pool waits to be joined.
  // Not while stopping: then every thread exits at once, and each joining the one before it
  // would chain them, each exit waiting for the previous one (3,000 threads took 3 s to stop
  // that way); shutdown() joins them all instead, while they exit side by side.
  std::vector<pthread_t> to_join;
  if (!stopping_) reap_finished_locked(to_join);
  finished_.push_back(pthread_self());
  // malloc_trim walks every arena under its lock and stalls every allocating thread meanwhile:
  // when thousands of threads retire together it must run once, not once per thread. So: when
  // the pool is back at its floor (the burst is over), else at most every trim_interval.
  const auto now = std::chrono::steady_clock::now();
  const bool trim = !stopping_ && !to_join.empty() &&
                    (threads_ <= options_.idle_floor || now - last_trim_ >= trim_interval);
  if (trim) last_trim_ = now;
  lock.unlock();
  all_exited_.notify_all();
  became_idle_.notify_all();
  join_all(to_join);
  // Threads retire only after idling, so a burst is over: hand the memory its requests used
  // back to the OS instead of keeping it in malloc's per-thread arenas.
  if (trim) ::malloc_trim(0);
}

bool WorkerPool::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return became_idle_.wait_for(lock, timeout,
                               [&] { return idle_ == threads_ && handoff_.empty(); });
}

void WorkerPool::shutdown() {
  std::vector<pthread_t> to_join;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    work_available_.notify_all();
    all_exited_.wait(lock, [&] { return threads_ == 0; });
    reap_finished_locked(to_join);
  }
  join_all(to_join);
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{threads_, threads_ - idle_, idle_};
}

}  // namespace mcpgate::util
