// One MCP session of the session revisions (an initialize began it, Mcp-Session-Id names it):
// the protocol state of its client (protocol::ClientState), its activity, and the streams its
// transport keeps for it. Shared by the threads of its connections; every member is safe to
// call from any thread, and no lock here is held across I/O.
#pragma once

#include "mcpgate/protocol/client_state.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace mcpgate::sessions {

enum class Transport { streamable_http, legacy_sse };

[[nodiscard]] std::string_view to_string(Transport transport);

// The streams a transport keeps for one session (transport::StreamSet). Declared here so that a
// session can hold them without knowing how they frame, number or replay what they carry.
class SessionStreams {
 public:
  virtual ~SessionStreams() = default;
  // Where the session's notifications go: the GET stream (Streamable HTTP) or the one and only
  // stream (legacy SSE).
  [[nodiscard]] virtual std::shared_ptr<protocol::Outbox> session_outbox() const = 0;
  // A client is reading one of them.
  [[nodiscard]] virtual bool busy() const = 0;
  // The session ended: close every stream and open no more. Idempotent.
  virtual void close() = 0;
};

class Session : public protocol::ClientState {
 public:
  using Clock = std::chrono::steady_clock;

  // `streams` may be null (a session nobody streams to: its notifications are dropped).
  Session(std::string id, Transport transport, std::shared_ptr<const SharedContext> context,
          std::unique_ptr<SessionStreams> streams,
          std::size_t max_inflight = protocol::InFlightRequests::default_capacity);
  ~Session();

  [[nodiscard]] Transport transport() const noexcept { return transport_; }
  // The streams its transport made for it (null when it has none).
  [[nodiscard]] SessionStreams* streams() const noexcept { return streams_.get(); }

  // --- activity and end ---
  void touch() noexcept;
  [[nodiscard]] Clock::time_point last_active() const noexcept;
  // A stream is open to the client, or a request is running: not idle, whatever last_active.
  [[nodiscard]] bool busy() const;
  // End the session: close every stream, cancel running requests, wake waiters. Idempotent.
  void end();

  // --- its record in the SessionStore (kept by SessionRegistry) ---
  // The record was written at `now`: the session has one, and its use is recorded.
  void record_written(Clock::time_point now) noexcept;
  [[nodiscard]] bool has_record() const noexcept { return has_record_.load(); }
  // Whether the record's last use is due to be written at `now`: the session has a record, and
  // `interval` passed since it was last written or the log level changed since. True for one
  // caller only (it then writes it).
  bool claim_record_use(Clock::time_point now, Clock::duration interval);

 private:
  const Transport transport_;
  const std::unique_ptr<SessionStreams> streams_;
  std::atomic<Clock::rep> last_active_;
  std::atomic<bool> has_record_{false};
  std::atomic<Clock::rep> record_written_{0};
  std::atomic<int> recorded_level_{0};
};

}  // namespace mcpgate::sessions
