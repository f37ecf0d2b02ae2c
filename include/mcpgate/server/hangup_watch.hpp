// One thread and one epoll set that watch the sockets of open SSE streams for the client's
// close (EPOLLRDHUP, EPOLLHUP, EPOLLERR), so that 10,000 idle streams cost no wake-ups at all
// and a client that leaves is noticed at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace mcpgate::server {

class HangupWatch {
 public:
  // Throws std::system_error when epoll or its thread cannot be created.
  HangupWatch();
  ~HangupWatch();
  HangupWatch(const HangupWatch&) = delete;
  HangupWatch& operator=(const HangupWatch&) = delete;

  // Calls `on_hangup` once, on the watch's thread, when the client of `fd` closes; until the
  // returned handle is released (after which no call is running or will start). `fd` must stay
  // open while the handle lives and `on_hangup` has not been called; once it has, the
  // registration is gone and the descriptor may close or be watched again before the handle
  // is released. nullptr when epoll refuses the descriptor.
  [[nodiscard]] std::shared_ptr<void> watch(int fd, std::function<void()> on_hangup);

  // As watch(), but `on_input` is called as soon as the client sends anything too (or closes):
  // for a connection whose thread is busy with something else than reading it.
  [[nodiscard]] std::shared_ptr<void> watch_input(int fd, std::function<void()> on_input);

  [[nodiscard]] std::size_t watched() const;

 private:
  struct Entry {
    int fd;
    std::function<void()> on_hangup;
  };
  std::shared_ptr<void> add(int fd, std::uint32_t events, std::function<void()> callback);
  void remove(std::uint64_t key);
  void run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: stops the thread
  // Held while a callback runs, so remove() returning means the callback is not running.
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::uint64_t next_key_ = 1;  // 0 is the wake-up descriptor's key
  std::thread thread_;
};

}  // namespace mcpgate::server
