#include "loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace loadgen {

Loop::Loop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

Loop::~Loop() { ::close(epoll_fd_); }

void Loop::add(int fd, std::uint32_t events, Pollable* target) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = target;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD)");
}

void Loop::modify(int fd, std::uint32_t events, Pollable* target) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = target;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl(MOD)");
}

void Loop::remove(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

bool Loop::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  std::array<epoll_event, 512> events{};
  for (;;) {
    if (done()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    const int timeout = static_cast<int>(std::clamp<long long>(left.count(), 0, 20));
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const auto& ev = events[static_cast<std::size_t>(i)];
      static_cast<Pollable*>(ev.data.ptr)->on_ready(ev.events);
    }
  }
}

void Loop::run_for(Clock::duration duration) {
  run_until([] { return false; }, Clock::now() + duration);
}

}  // namespace loadgen
