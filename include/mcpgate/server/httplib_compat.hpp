// The parts of cpp-httplib's extension interface that differ between the versions mcpgate builds
// against: Debian 12's 0.11.4 (libcpp-httplib-dev) and current releases through
// subprojects/cpp-httplib.wrap (0.41.0; scripts/test.sh builds both). Each difference is
// detected from what the included httplib.h declares, never from its version number, so a
// release in between takes whichever form it has.
//
// What stays the same needs nothing here: routes, handlers, Request/Response, DataSink, the
// task-queue hook, bind/listen/stop, and the protected Server::process_request that serves one
// request from a Stream (its call is adapted in http_server.cpp, the one place that makes it).
#pragma once

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <utility>

namespace mcpgate::server::httplib_compat {

// TaskQueue::enqueue() returns void on 0.11 and bool (false: the queue refused the connection,
// which httplib then closes) since 0.15.
using EnqueueResult = decltype(std::declval<httplib::TaskQueue&>().enqueue(std::function<void()>{}));

// "Accepted", in whichever form enqueue() returns it.
inline EnqueueResult enqueued() { return static_cast<EnqueueResult>(true); }

// Stream's waits. 0.11 declares is_readable() (wait until a read will not block) and
// is_writable() (wait until a write can proceed). Current releases (0.23 and later at least)
// split them: is_readable() only says whether bytes are already buffered (httplib calls it where
// it must not wait), wait_readable() and wait_writable() wait, and duration() is the stream's age.
template <class S>
concept SplitWaits = requires(const S& s) {
  s.wait_readable();
  s.wait_writable();
};

// httplib::Stream with one interface whatever the version: a stream implements has_buffered(),
// wait_for_bytes() and wait_for_room(), and this maps them onto the virtual functions the
// library declares. (A class template, so that only the form that matches is ever compiled.)
template <class Base = httplib::Stream, bool Split = SplitWaits<Base>>
class Stream;

template <class Base>
class Stream<Base, false> : public Base {
 public:
  bool is_readable() const override { return wait_for_bytes(); }
  bool is_writable() const override { return wait_for_room(); }

 protected:
  // Bytes already read from the connection: the next read() returns them without waiting.
  [[nodiscard]] virtual bool has_buffered() const = 0;
  // Waits (within the stream's own budget) until a read will not block. False on timeout.
  [[nodiscard]] virtual bool wait_for_bytes() const = 0;
  // Waits (within the stream's own budget) until a write can proceed and the peer is there.
  [[nodiscard]] virtual bool wait_for_room() const = 0;
};

template <class Base>
class Stream<Base, true> : public Base {
 public:
  bool is_readable() const override { return has_buffered(); }
  bool wait_readable() const override { return wait_for_bytes(); }
  bool wait_writable() const override { return wait_for_room(); }
  std::time_t duration() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_)
        .count();
  }

 protected:
  [[nodiscard]] virtual bool has_buffered() const = 0;
  [[nodiscard]] virtual bool wait_for_bytes() const = 0;
  [[nodiscard]] virtual bool wait_for_room() const = 0;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace mcpgate::server::httplib_compat
