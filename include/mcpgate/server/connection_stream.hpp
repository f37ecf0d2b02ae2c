// One accepted connection as cpp-httplib's Stream, with mcpgate's own timeouts.
//
// httplib's SocketStream only bounds each read: a client that trickles its request a byte at a
// time, each byte inside the read timeout, holds its connection for as long as it likes. This
// stream adds an absolute deadline that HttpServer arms while a request's line and headers are
// being read (--header-timeout) and clears once they are complete. Writes wait at most the write
// timeout for the client to make room, so a client that never reads its stream is cut off too.
// Neither the deadline nor the timeouts ever take a lock: each stream belongs to one thread.
//
// A stream belongs to one thread at a time: its connection's, or one that writes an SSE event for
// it while that thread sleeps on the event's stream (transport::ConnectionHooks::flush_now, under
// the EventStream's loan, which keeps the two apart).
//
// Syscalls are what a small request costs most, so the stream spends few: reads try the socket
// before polling it, the peer's and its own address are looked up once, and writes gather in a
// buffer that flush() sends (the connection loop flushes after each response, an SSE writer
// before it waits): a response's headers and a short body leave in one send.
//
// While a request's head is read (begin_head() to end_head()) every byte passes a HeadMeter: a
// line or a head over its budget ends the read at once and leaves a refusal (414 or 431) that the
// connection loop sends in place of whatever httplib would have answered.
#pragma once

#include "mcpgate/server/httplib_compat.hpp"
#include "mcpgate/server/request_head.hpp"

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace mcpgate::server {

struct StreamTimeouts {
  std::chrono::milliseconds read{10000};   // one read that makes no progress
  std::chrono::milliseconds write{10000};  // one write the client makes no room for
};

class ConnectionStream final : public httplib_compat::Stream<> {
 public:
  using Clock = std::chrono::steady_clock;

  // Does not own `fd`: the connection loop closes it.
  ConnectionStream(int fd, StreamTimeouts timeouts, HeadLimits head_limits = {}) noexcept
      : fd_(fd), timeouts_(timeouts), head_(head_limits) {}

  // Waits up to `idle` for the next request's first byte. False when the client closed the
  // connection, the socket was shut down, or the wait ran out.
  [[nodiscard]] bool wait_for_request(std::chrono::milliseconds idle);

  // Reads fail once `deadline` has passed, until clear_deadline().
  void set_deadline(Clock::time_point deadline) noexcept { deadline_ = deadline; }
  void clear_deadline() noexcept { deadline_.reset(); }
  // True when a read failed because the deadline had passed (not a client close or timeout).
  [[nodiscard]] bool deadline_expired() const noexcept { return deadline_expired_; }
  // True once a read timed out, hit the deadline or found the connection closed: whatever
  // httplib answered, the connection cannot carry another request.
  [[nodiscard]] bool read_failed() const noexcept { return read_failed_; }

  // Meter the next request's head (its line and headers) until end_head().
  void begin_head();
  // The head's raw bytes, as read since begin_head(); metering ends.
  [[nodiscard]] std::string_view end_head();
  // Set when a head went over a budget: the request is refused with it, and nothing httplib
  // writes for that request is sent.
  [[nodiscard]] const std::optional<Refusal>& head_refusal() const noexcept { return head_refusal_; }
  // Sends `refusal` as a complete JSON answer that closes the connection.
  void send_refusal(const Refusal& refusal);

  ssize_t read(char* ptr, size_t size) override;
  // Gathers into the write buffer (sending it first when it is full). -1 once a send failed.
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }
  // Whether bytes the client sent after the last request were already read into the buffer.
  [[nodiscard]] bool has_input() const noexcept { return buffered_begin_ < buffered_end_; }

  // Sends what write() gathered, waiting at most the write timeout each time the client makes
  // no room. False when the client is gone (and from then on).
  bool flush();
  // Sends what write() gathered as far as the client makes room now, without waiting: false
  // once a send failed, and `left` says how many bytes are still gathered (for flush()).
  bool flush_now(std::size_t& left);

 private:
  // How long the next read may wait: the read timeout, cut short by the deadline. Zero once the
  // deadline has passed.
  [[nodiscard]] std::chrono::milliseconds read_budget() const;
  // httplib's waits (httplib_compat.hpp maps them onto the version's Stream).
  bool has_buffered() const override { return buffered_begin_ < buffered_end_; }
  // Readable within the read timeout, cut short by the deadline.
  bool wait_for_bytes() const override;
  // Writable within the write timeout and the client still there.
  bool wait_for_room() const override;
  // One recv into the empty read buffer without waiting: bytes read, 0 at end of stream, -1
  // with errno (EAGAIN: nothing yet).
  ssize_t fill_now();
  bool send_all(const char* ptr, std::size_t size);

  struct Address {
    std::string ip;
    int port = 0;
  };

  int fd_;
  StreamTimeouts timeouts_;
  std::optional<Clock::time_point> deadline_;
  mutable bool deadline_expired_ = false;
  bool read_failed_ = false;
  // httplib reads request lines a byte at a time: buffer them to spare a syscall per byte.
  std::array<char, 4096> buffer_{};
  std::size_t buffered_begin_ = 0;
  std::size_t buffered_end_ = 0;
  HeadMeter head_;
  bool metering_ = false;
  // The SO_RCVTIMEO wait_for_request() last set on the socket (none yet: the option as accepted).
  std::chrono::milliseconds receive_timeout_{-1};
  std::optional<Refusal> head_refusal_;
  std::string out_;  // written, not sent yet
  bool write_failed_ = false;
  mutable std::optional<Address> remote_;
  mutable std::optional<Address> local_;
};

}  // namespace mcpgate::server
