#include "mcpgate/server/connection_stream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mcpgate::server {

namespace {

using Clock = ConnectionStream::Clock;
using std::chrono::milliseconds;

// poll() one descriptor for `events`, retrying on EINTR with what is left of `timeout`.
// Returns the revents, or 0 when the time ran out (or poll failed).
short poll_for(int fd, short events, milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd, events, 0};
    const auto left = std::chrono::ceil<milliseconds>(until - Clock::now());
    const int rc = ::poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
    if (rc > 0) return p.revents;
    if (rc == 0 || errno != EINTR) return 0;
  }
}

void address_of(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), nullptr,
                    0, NI_NUMERICHOST) == 0)
    ip = host;
  if (addr.ss_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
}

}  // namespace

milliseconds ConnectionStream::read_budget() const {
  if (!deadline_) return timeouts_.read;
  const auto left = std::chrono::ceil<milliseconds>(*deadline_ - Clock::now());
  return std::clamp(left, milliseconds{0}, timeouts_.read);
}

bool ConnectionStream::wait_for_request(milliseconds idle) {
  if (buffered_begin_ < buffered_end_) return true;  // a pipelined request is already here
  const short revents = poll_for(fd_, POLLIN, idle);
  if (!(revents & (POLLIN | POLLHUP | POLLERR))) return false;
  // Readable may mean closed: peek so that a client that left is not served a phantom request.
  char byte = 0;
  ssize_t n;
  do {
    n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

bool ConnectionStream::is_readable() const {
  if (buffered_begin_ < buffered_end_) return true;
  for (;;) {
    const auto budget = read_budget();
    if (deadline_ && budget.count() <= 0) {
      deadline_expired_ = true;
      return false;
    }
    if (poll_for(fd_, POLLIN, budget) & (POLLIN | POLLHUP | POLLERR)) return true;
    // A whole read timeout without a byte; otherwise the wait was cut short by the deadline, and
    // the next round finds it passed.
    if (budget == timeouts_.read) return false;
  }
}

bool ConnectionStream::is_writable() const {
  if (!(poll_for(fd_, POLLOUT, timeouts_.write) & POLLOUT)) return false;
  // Still there? A closed or reset connection polls readable with nothing left to read.
  const short revents = poll_for(fd_, POLLIN, milliseconds{0});
  if (revents & (POLLHUP | POLLERR)) return false;
  if (revents & POLLIN) {
    char byte = 0;
    ssize_t n;
    do {
      n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return false;
  }
  return true;
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (buffered_begin_ == buffered_end_) {
    if (!is_readable()) {
      read_failed_ = true;
      return -1;
    }
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      read_failed_ = true;
      return n < 0 ? -1 : 0;
    }
    buffered_begin_ = 0;
    buffered_end_ = static_cast<std::size_t>(n);
  }
  const std::size_t n = std::min(size, buffered_end_ - buffered_begin_);
  std::memcpy(ptr, buffer_.data() + buffered_begin_, n);
  buffered_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (!(poll_for(fd_, POLLOUT, timeouts_.write) & POLLOUT)) return -1;
  ssize_t n;
  do {
    n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : n;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    address_of(addr, len, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    address_of(addr, len, ip, port);
}

}  // namespace mcpgate::server
