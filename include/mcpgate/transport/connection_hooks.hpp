// What an SSE writer may ask of the connection it writes to, beyond httplib's DataSink: to learn
// the moment the client closes (instead of at the next heartbeat, without waking an idle stream
// for anything else), and to send what it has written so far before it waits. The HTTP server
// installs the hooks of the connection each of its threads is serving; the transport only asks
// for them.
#pragma once

#include <functional>
#include <memory>

namespace mcpgate::transport {

class ConnectionHooks {
 public:
  virtual ~ConnectionHooks() = default;
  // Calls `on_hangup` (from another thread) if the client closes the connection while the
  // returned handle lives. Once the handle is released no call is running or will start.
  // nullptr when the connection cannot be watched (the heartbeat still notices).
  [[nodiscard]] virtual std::shared_ptr<void> watch_hangup(std::function<void()> on_hangup) = 0;
  // The connection gathers what a response writes and sends it at the end of the response (so
  // that headers and a short body leave together); a writer about to wait sends it now. False
  // when the client is gone.
  [[nodiscard]] virtual bool flush() = 0;

  // What flush_now() managed.
  enum class SendNow {
    sent,     // everything written so far is on its way
    partial,  // the client made no room for the rest: it stays gathered for flush()
    gone,     // the client is gone
  };
  // Sends what was written as far as the client makes room for it right now, never waiting:
  // another thread writing for a writer that sleeps (EventStream's ConnectionLoan) must not be
  // held by a client that does not read.
  [[nodiscard]] virtual SendNow flush_now() = 0;

  // Runs `work` on this connection's thread once the response being served has been sent, and
  // before the connection reads its next request: a POST answered 202 whose call then runs on
  // the thread that read it, with no hand-off to another thread and without holding the answer.
  // `work` must not throw, and runs whether or not the response reached the client. False when
  // the connection cannot take it (it already owes one): the caller runs it elsewhere.
  [[nodiscard]] virtual bool after_response(std::function<void()> work) {
    (void)work;
    return false;
  }
};

// The hooks of the connection the calling thread serves, or nullptr.
[[nodiscard]] ConnectionHooks* current_connection_hooks() noexcept;

// Installs `hooks` for the calling thread for the scope's lifetime.
class ScopedConnectionHooks {
 public:
  explicit ScopedConnectionHooks(ConnectionHooks* hooks) noexcept;
  ~ScopedConnectionHooks();
  ScopedConnectionHooks(const ScopedConnectionHooks&) = delete;
  ScopedConnectionHooks& operator=(const ScopedConnectionHooks&) = delete;

 private:
  ConnectionHooks* previous_;
};

}  // namespace mcpgate::transport
