#include "mcpgate/server/hangup_watch.hpp"

#include <spdlog/spdlog.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace mcpgate::server {

HangupWatch::HangupWatch() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int err = errno;
    ::close(epoll_fd_);
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw;
  }
}

HangupWatch::~HangupWatch() {
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

namespace {

// What watch() hands out: releasing it unregisters.
class Registration {
 public:
  Registration(std::function<void(std::uint64_t)> remove, std::uint64_t key)
      : remove_(std::move(remove)), key_(key) {}
  ~Registration() {
    if (armed_) remove_(key_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  void arm() noexcept { armed_ = true; }

 private:
  std::function<void(std::uint64_t)> remove_;
  std::uint64_t key_;
  bool armed_ = false;
};

}  // namespace

std::shared_ptr<void> HangupWatch::watch(int fd, std::function<void()> on_hangup) {
  return add(fd, EPOLLRDHUP, std::move(on_hangup));
}

std::shared_ptr<void> HangupWatch::watch_input(int fd, std::function<void()> on_input) {
  return add(fd, EPOLLIN | EPOLLRDHUP, std::move(on_input));
}

std::shared_ptr<void> HangupWatch::add(int fd, std::uint32_t events,
                                       std::function<void()> on_hangup) {
  std::lock_guard lock(mutex_);
  const std::uint64_t key = next_key_++;
  // Everything that can throw comes before the descriptor is registered.
  auto handle = std::make_shared<Registration>([this](std::uint64_t k) { remove(k); }, key);
  entries_.emplace(key, Entry{fd, std::move(on_hangup)});
  epoll_event event{};
  // One-shot: a closed socket stays readable; one report is all anyone needs.
  event.events = events | EPOLLONESHOT;
  event.data.u64 = key;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    spdlog::debug("cannot watch descriptor {} for hang-ups: errno {}", fd, errno);
    entries_.erase(key);
    return nullptr;
  }
  handle->arm();
  return handle;
}

std::size_t HangupWatch::watched() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void HangupWatch::remove(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  entries_.erase(it);
}

void HangupWatch::run() {
  std::array<epoll_event, 64> events{};
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("hang-up watch: epoll_wait failed (errno {}); closed clients are now "
                    "noticed at their heartbeat",
                    errno);
      return;
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
      if (key == 0) return;  // the destructor's wake-up
      std::lock_guard lock(mutex_);
      const auto it = entries_.find(key);
      if (it == entries_.end()) continue;  // removed after the event was queued
      // One report per registration, so it ends here, while its descriptor is surely open: its
      // owner may close the descriptor (or hand its connection to another thread) once told, and
      // a later release must not touch a descriptor number that another connection got since.
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
      const auto on_hangup = std::move(it->second.on_hangup);
      entries_.erase(it);
      try {
        on_hangup();
      } catch (const std::exception& e) {
        spdlog::error("hang-up callback failed: {}", e.what());
      }
    }
  }
}

}  // namespace mcpgate::server
