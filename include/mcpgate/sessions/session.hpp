// One MCP session: its negotiated state, its SSE streams, the requests it is running and the
// requests it is waiting on from the client. Shared by the threads of its connections; every
// member is safe to call from any thread, and no lock here is held across I/O.
#pragma once

#include "mcpgate/protocol/inflight.hpp"
#include "mcpgate/tools/log_level.hpp"
#include "mcpgate/protocol/reply_router.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/transport/event_stream.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace mcpgate::sessions {

enum class Transport { streamable_http, legacy_sse };

[[nodiscard]] std::string_view to_string(Transport transport);

struct StreamOptions {
  std::size_t replay_events = 256;      // delivered events kept per stream for Last-Event-ID
  std::size_t max_stream_bytes = transport::default_max_stream_bytes;  // per stream, see there
  std::size_t retained_streams = 32;    // finished POST streams kept for a late resume
  std::shared_ptr<transport::EventCounters> counters;  // server-wide SSE tallies; may be null
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  Session(std::string id, Transport transport, std::shared_ptr<const SharedContext> context,
          StreamOptions options,
          std::size_t max_inflight = protocol::InFlightRequests::default_capacity);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] Transport transport() const noexcept { return transport_; }
  [[nodiscard]] const SharedContext& context() const noexcept { return *context_; }

  // --- lifecycle (initialize, notifications/initialized) ---
  struct Negotiated {
    std::string protocol_version;
    nlohmann::json client_capabilities = nlohmann::json::object();
    nlohmann::json client_info = nlohmann::json::object();
  };
  // False when the session was already initialized. What the client declared is kept as
  // compact JSON text (a parsed tree takes up to 20 times its text): the protocol layer bounds
  // its size (--max-session-data) before it gets here.
  bool initialize(const Negotiated& negotiated);
  [[nodiscard]] bool initialized() const;
  void mark_client_ready();
  [[nodiscard]] bool client_ready() const;
  // "" before initialize.
  [[nodiscard]] std::string protocol_version() const;
  [[nodiscard]] bool client_supports(std::string_view capability) const;
  // The client's capabilities and clientInfo as it sent them ({} before initialize).
  [[nodiscard]] nlohmann::json client_capabilities() const;
  [[nodiscard]] nlohmann::json client_info() const;
  // Bytes kept of what the client sent: the compact text of both, and the URIs subscribed to.
  [[nodiscard]] std::size_t client_data_bytes() const;

  void set_log_level(tools::LogLevel level);
  [[nodiscard]] tools::LogLevel log_level() const;

  // False (and nothing kept) when the URI would take client_data_bytes() past `budget`: a
  // resource template matches endless URIs, and each subscription is kept for the session's life.
  bool subscribe(const std::string& uri, std::size_t budget);
  void unsubscribe(const std::string& uri);

  [[nodiscard]] protocol::InFlightRequests& inflight() noexcept { return inflight_; }
  [[nodiscard]] protocol::ReplyRouter& replies() noexcept { return replies_; }

  // --- streams ---
  // Streamable HTTP: a new stream for one POST that carries requests.
  [[nodiscard]] std::shared_ptr<transport::EventStream> open_request_stream();
  // The stream for messages not tied to a request: the GET stream (Streamable HTTP) or the
  // one and only stream (legacy SSE).
  [[nodiscard]] std::shared_ptr<transport::EventStream> session_stream() const { return main_; }
  [[nodiscard]] std::shared_ptr<transport::EventStream> find_stream(const std::string& id) const;
  // The options a stream of this session is made with ("g", "l" or "p<n>").
  [[nodiscard]] transport::EventStreamOptions stream_options(bool with_ids) const;
  // Forget a POST stream whose every event reached the client.
  void retire_stream(const std::string& id);
  // Send a message that belongs to no request (list_changed, resources/updated, logs).
  void notify(const nlohmann::json& message);

  // --- activity and end ---
  void touch() noexcept;
  [[nodiscard]] Clock::time_point last_active() const noexcept;
  // A request other than initialize arrived: the session is in use by a real client.
  void note_request() noexcept { used_.store(true); }
  [[nodiscard]] bool used() const noexcept { return used_.load(); }
  // A stream is open to the client, or a request is running: not idle, whatever last_active.
  [[nodiscard]] bool busy() const;
  // End the session: close every stream, cancel running requests, wake waiters. Idempotent.
  void end();
  [[nodiscard]] bool ended() const noexcept { return ended_.load(); }

 private:
  const std::string id_;
  const Transport transport_;
  const std::shared_ptr<const SharedContext> context_;
  const StreamOptions options_;
  const std::shared_ptr<transport::EventStream> main_;

  mutable std::mutex mutex_;
  bool initialized_ = false;
  bool client_ready_ = false;
  std::string protocol_version_;
  std::string client_capabilities_ = "{}";  // compact JSON text
  std::string client_info_ = "{}";          // compact JSON text
  std::vector<std::string> declared_;       // capabilities declared (present, not null or false)
  tools::LogLevel log_level_ = tools::LogLevel::debug;
  std::set<std::string> subscriptions_;
  std::size_t subscription_bytes_ = 0;  // the URIs' lengths together
  // POST streams by number ("p7" is 7), so iteration goes oldest first.
  std::map<std::uint64_t, std::shared_ptr<transport::EventStream>> request_streams_;
  std::uint64_t next_stream_ = 1;

  protocol::InFlightRequests inflight_;
  protocol::ReplyRouter replies_;
  std::atomic<Clock::rep> last_active_;
  std::atomic<bool> used_{false};
  std::atomic<bool> ended_{false};
};

}  // namespace mcpgate::sessions
