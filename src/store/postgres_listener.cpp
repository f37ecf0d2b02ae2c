// PostgreSQL's ChangeListener: LISTEN on one connection of its own, and a poll() on its socket
// beside an eventfd that interrupt() writes, so that a stopping reader is woken at once.
//
// Nothing here blocks without the eventfd in the same poll(): the connection is opened with
// PQconnectStartParams/PQconnectPoll (a blocking PQconnectdb to an unreachable host would hold
// stop() for the whole TCP timeout), and notifications are read with PQconsumeInput, which
// takes what the socket holds and returns. Only the LISTEN itself is a blocking PQexec, one
// round trip on a connection that just answered.
#include "mcpgate/store/postgres.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace mcpgate::store {

namespace {

using ListenClock = std::chrono::steady_clock;

// Reconnection: the first retry soon (a blip), then doubling up to a pause that a restarting
// server is not hammered by; the reader's safety poll covers the events meanwhile.
constexpr std::chrono::milliseconds listen_first_retry{250};
constexpr std::chrono::milliseconds listen_max_retry{10000};
// How long one connection attempt may take before it counts as failed (libpq leaves
// connect_timeout to the caller of PQconnectPoll).
constexpr std::chrono::milliseconds listen_connect_bound{10000};

// libpq's message, first line only (the rest guesses at causes over several lines).
std::string listen_trimmed(const char* text) {
  std::string out = text ? text : "";
  out = out.substr(0, out.find('\n'));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

int listen_poll_ms(ListenClock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - ListenClock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60 * 60 * 1000));
}

class PgListener final : public ChangeListener {
 public:
  PgListener(std::string uri, std::string shown, std::string channel)
      : uri_(std::move(uri)), shown_(std::move(shown)), channel_(std::move(channel)),
        wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), trouble_("not connected yet") {
    if (wake_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~PgListener() override {
    disconnect();
    ::close(wake_);
  }
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  bool wait(std::chrono::milliseconds timeout) override {
    const auto deadline = ListenClock::now() + timeout;
    if (!conn_) {
      // Down: sleep until the next attempt is due (or the deadline), then try once.
      const auto until = std::min(deadline, next_attempt_);
      if (pause_until(until) == Woken::interrupted) return false;
      if (ListenClock::now() < next_attempt_) return false;
      return connect();  // true: read what was missed while down
    }
    if (drain_notifications()) return true;
    for (;;) {
      pollfd fds[2] = {{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0},
                       {.fd = wake_, .events = POLLIN, .revents = 0}};
      const int ready = ::poll(fds, 2, listen_poll_ms(deadline));
      if (ready < 0 && errno != EINTR) {
        lost("poll: " + std::system_category().message(errno));
        return false;
      }
      if (ready > 0 && (fds[1].revents & POLLIN)) {
        clear_wake();
        return false;
      }
      if (ready > 0 && fds[0].revents != 0) {
        if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
          lost(listen_trimmed(PQerrorMessage(conn_)));
          return false;
        }
        if (drain_notifications()) return true;  // else: other traffic (a parameter status)
      }
      if (ListenClock::now() >= deadline) return false;
    }
  }

  void interrupt() noexcept override {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_, &one, sizeof one);  // a full counter is set too
  }

  std::string trouble() const override { return trouble_; }

 private:
  enum class Woken { time_up, interrupted };

  // Waits on the eventfd alone until `until`.
  Woken pause_until(ListenClock::time_point until) {
    for (;;) {
      pollfd fd{.fd = wake_, .events = POLLIN, .revents = 0};
      const int ready = ::poll(&fd, 1, listen_poll_ms(until));
      if (ready > 0) {
        clear_wake();
        return Woken::interrupted;
      }
      if (ready == 0 || ListenClock::now() >= until) return Woken::time_up;
    }
  }

  void clear_wake() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(wake_, &count, sizeof count);
  }

  bool drain_notifications() {
    bool any = false;
    while (PGnotify* notification = PQnotifies(conn_)) {
      any = true;
      PQfreemem(notification);
    }
    return any;
  }

  // One attempt; true when listening. Either way the next attempt's time is set.
  bool connect() {
    // Ours come before the URI (dbname, expanded): libpq keeps the last value given, so the
    // URI's own settings win.
    const char* const keys[] = {"fallback_application_name", "keepalives_idle", "keepalives_interval",
                                "keepalives_count", "dbname", nullptr};
    const char* const values[] = {"mcpgate listener", "30", "10", "3", uri_.c_str(), nullptr};
    conn_ = PQconnectStartParams(keys, values, 1);
    if (!conn_) return failed("out of memory");
    const auto bound = ListenClock::now() + listen_connect_bound;
    for (auto status = PGRES_POLLING_WRITING;;) {
      if (PQstatus(conn_) == CONNECTION_BAD || status == PGRES_POLLING_FAILED)
        return failed(listen_trimmed(PQerrorMessage(conn_)));
      if (status == PGRES_POLLING_OK) break;
      pollfd fds[2] = {
          {.fd = PQsocket(conn_), .events = static_cast<short>(status == PGRES_POLLING_READING ? POLLIN : POLLOUT),
           .revents = 0},
          {.fd = wake_, .events = POLLIN, .revents = 0}};
      const int ready = ::poll(fds, 2, listen_poll_ms(bound));
      if (ready < 0 && errno != EINTR) return failed("poll: " + std::system_category().message(errno));
      if (ready > 0 && (fds[1].revents & POLLIN)) {
        clear_wake();
        disconnect();  // stopping: the next wait, if any, tries again at once
        return false;
      }
      if (ready == 0 && ListenClock::now() >= bound) return failed("no answer within 10 s");
      if (ready > 0) status = PQconnectPoll(conn_);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    char* quoted = PQescapeIdentifier(conn_, channel_.c_str(), channel_.size());
    if (!quoted) return failed(listen_trimmed(PQerrorMessage(conn_)));
    const std::string sql = std::string("LISTEN ") + quoted;
    PQfreemem(quoted);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_, sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      return failed("LISTEN: " + listen_trimmed(PQerrorMessage(conn_)));
    trouble_.clear();
    retry_ = listen_first_retry;
    return true;
  }

  bool failed(const std::string& why) {
    disconnect();
    trouble_ = "cannot LISTEN on PostgreSQL at " + shown_ + ": " + why;
    next_attempt_ = ListenClock::now() + retry_;
    retry_ = std::min(retry_ * 2, listen_max_retry);
    return false;
  }

  // A connection that was listening broke: the first retry comes soon.
  void lost(const std::string& why) {
    disconnect();
    trouble_ = "lost the LISTEN connection to PostgreSQL at " + shown_ + (why.empty() ? "" : ": " + why);
    retry_ = listen_first_retry;
    next_attempt_ = ListenClock::now() + retry_;
  }

  void disconnect() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
  }

  const std::string uri_;
  const std::string shown_;
  const std::string channel_;
  const int wake_;
  PGconn* conn_ = nullptr;
  std::string trouble_;
  ListenClock::time_point next_attempt_{};  // the first attempt: at once
  std::chrono::milliseconds retry_ = listen_first_retry;
};

}  // namespace

std::unique_ptr<ChangeListener> postgres_listener(std::string uri, std::string shown, std::string channel) {
  return std::make_unique<PgListener>(std::move(uri), std::move(shown), std::move(channel));
}

}  // namespace mcpgate::store
