#include "mcpgate/server/connection_stream.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <nlohmann/json.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

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

namespace {

// The most a response gathers before sending: past it, a long body goes out as it is written.
constexpr std::size_t gather_limit = 64 * 1024;

}  // namespace

ssize_t ConnectionStream::fill_now() {
  ssize_t n;
  do {
    n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    buffered_begin_ = 0;
    buffered_end_ = static_cast<std::size_t>(n);
  }
  return n;
}

bool ConnectionStream::wait_for_request(milliseconds idle) {
  if (buffered_begin_ < buffered_end_) return true;  // a pipelined request is already here
  if (idle.count() <= 0) return fill_now() > 0;
  // A keep-alive connection spends its life here, so the wait is one read that sleeps, bounded
  // by SO_RCVTIMEO: one syscall per request where a look, a poll and a read made three. (Every
  // other read of the stream is a MSG_DONTWAIT after a poll, which the option leaves alone.) A
  // client that left reads as end of stream, so it is not served a phantom request.
  const auto start = Clock::now();
  if (receive_timeout_ != idle) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(idle);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(seconds.count());
    tv.tv_usec = static_cast<suseconds_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(idle - seconds).count());
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0) receive_timeout_ = idle;
  }
  ssize_t n = -1;
  errno = EAGAIN;
  if (receive_timeout_ == idle) {
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
  }
  if (n >= 0) {
    buffered_begin_ = 0;
    buffered_end_ = static_cast<std::size_t>(n);
    return n > 0;
  }
  if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
  // The timeout ran out, or the socket did not block (or take the option): wait out the rest.
  const auto left = idle - std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  if (left.count() <= 0) return false;
  if (!(poll_for(fd_, POLLIN, left) & (POLLIN | POLLHUP | POLLERR))) return false;
  return fill_now() > 0;
}

bool ConnectionStream::wait_for_bytes() const {
  if (has_buffered()) return true;
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

bool ConnectionStream::wait_for_room() const {
  if (write_failed_) return false;
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

void ConnectionStream::begin_head() {
  head_.begin();
  head_refusal_.reset();
  metering_ = true;
}

std::string_view ConnectionStream::end_head() {
  metering_ = false;
  return head_.raw();
}

void ConnectionStream::send_refusal(const Refusal& refusal) {
  const std::string body = R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":)" +
                           util::compact_json(nlohmann::json(refusal.message)) + "}}";
  out_.clear();
  std::string answer = "HTTP/1.1 " + std::to_string(refusal.status) + " " +
                       std::string(reason_phrase(refusal.status)) +
                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)send_all(answer.data(), answer.size());
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (head_refusal_) return -1;
  if (buffered_begin_ == buffered_end_) {
    // Whatever was written must go out before we wait for the client (a "100 Continue" asks for
    // the body that this read waits for).
    if (!out_.empty() && !flush()) {
      read_failed_ = true;
      return -1;
    }
    if (deadline_ && Clock::now() >= *deadline_) {
      deadline_expired_ = true;
      read_failed_ = true;
      return -1;
    }
    ssize_t n = fill_now();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for_bytes()) {
        read_failed_ = true;
        return -1;
      }
      n = fill_now();
    }
    if (n <= 0) {
      read_failed_ = true;
      return n < 0 ? -1 : 0;
    }
  }
  // cpp-httplib reads request and header lines one byte per call: those skip memcpy.
  if (size == 1 || metering_) {
    const char byte = buffer_[buffered_begin_];
    if (metering_) {
      const auto verdict = head_.feed(byte);
      if (verdict != HeadMeter::Verdict::within) {
        head_refusal_ = head_.refusal(verdict);
        read_failed_ = true;
        return -1;
      }
    }
    ++buffered_begin_;
    *ptr = byte;
    return 1;
  }
  const std::size_t n = std::min(size, buffered_end_ - buffered_begin_);
  std::memcpy(ptr, buffer_.data() + buffered_begin_, n);
  buffered_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (write_failed_) return -1;
  if (head_refusal_) return static_cast<ssize_t>(size);  // httplib's answer is replaced
  if (out_.size() + size > gather_limit) {
    if (!flush()) return -1;
    if (size > gather_limit) return send_all(ptr, size) ? static_cast<ssize_t>(size) : -1;
  }
  out_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

bool ConnectionStream::flush() {
  if (write_failed_) return false;
  if (out_.empty()) return true;
  const bool ok = send_all(out_.data(), out_.size());
  out_.clear();
  return ok;
}

bool ConnectionStream::flush_now(std::size_t& left) {
  std::size_t sent = 0;
  while (!write_failed_ && sent < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // flush() waits for room
    write_failed_ = true;
  }
  out_.erase(0, sent);
  left = out_.size();
  return !write_failed_;
}

bool ConnectionStream::send_all(const char* ptr, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      ptr += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The client makes no room: wait for it, at most the write timeout each time.
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        (poll_for(fd_, POLLOUT, timeouts_.write) & POLLOUT))
      continue;
    write_failed_ = true;
    return false;
  }
  return true;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  if (!remote_) {
    remote_.emplace(Address{std::string(), 0});
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, len, remote_->ip, remote_->port);
  }
  ip = remote_->ip;
  port = remote_->port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  if (!local_) {
    local_.emplace(Address{std::string(), 0});
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, len, local_->ip, local_->port);
  }
  ip = local_->ip;
  port = local_->port;
}

}  // namespace mcpgate::server
