// The load generator's event loop: one epoll set on one thread. Everything the load generator
// does (thousands of connections, their requests and event streams) runs as callbacks from
// Loop::run_until, so one process can drive 10,000 open streams without a thread each.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace loadgen {

using Clock = std::chrono::steady_clock;

// Something with a descriptor in the loop. It stays alive for as long as it is registered: the
// loop calls it through a raw pointer.
class Pollable {
 public:
  virtual ~Pollable() = default;
  virtual void on_ready(std::uint32_t events) = 0;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void add(int fd, std::uint32_t events, Pollable* target);
  void modify(int fd, std::uint32_t events, Pollable* target);
  // Forgets `fd` (call before closing it). Events already fetched for it in the current batch
  // are still delivered to its target, which must ignore them once closed.
  void remove(int fd);

  // Dispatches events until `done()` holds (true) or `deadline` passes (false). `done` is
  // checked after every batch of events and at least every 20 ms.
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline);
  // Dispatches events for `duration`.
  void run_for(Clock::duration duration);

 private:
  int epoll_fd_ = -1;
};

}  // namespace loadgen
