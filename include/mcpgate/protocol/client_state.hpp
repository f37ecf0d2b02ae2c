// What the protocol layer keeps of one client: the revision and capabilities it negotiated, its
// log level and subscriptions, the requests it is running, the requests we wait on it for, and
// the outbox its notifications go to. The dispatcher works on this alone; sessions::Session is
// one (a session of the session revisions, with its activity and its transport's streams).
//
// Shared by the threads of the client's connections: every member is safe to call from any
// thread, and no lock here is held across I/O.
#pragma once

#include "mcpgate/protocol/access.hpp"
#include "mcpgate/protocol/inflight.hpp"
#include "mcpgate/protocol/outbox.hpp"
#include "mcpgate/protocol/reply_router.hpp"
#include "mcpgate/protocol/request_meta.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/log_level.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace mcpgate::protocol {

class ClientState {
 public:
  // `outbox` takes the messages that belong to no request (list_changed, resources/updated,
  // and a request's own messages when it has no outbox of its own); may be null.
  ClientState(std::string id, std::shared_ptr<const SharedContext> context,
              std::shared_ptr<Outbox> outbox,
              std::size_t max_inflight = InFlightRequests::default_capacity);
  ClientState(const ClientState&) = delete;
  ClientState& operator=(const ClientState&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] const SharedContext& context() const noexcept { return *context_; }
  // For work that outlives the client's request (a task of the tasks extension).
  [[nodiscard]] const std::shared_ptr<const SharedContext>& shared_context() const noexcept {
    return context_;
  }
  [[nodiscard]] const std::shared_ptr<Outbox>& outbox() const noexcept { return outbox_; }

  // --- lifecycle (initialize, notifications/initialized) ---
  struct Negotiated {
    std::string protocol_version;
    nlohmann::json client_capabilities = nlohmann::json::object();
    nlohmann::json client_info = nlohmann::json::object();
  };
  // False when the client was already initialized. What the client declared is kept as
  // compact JSON text (a parsed tree takes up to 20 times its text): the protocol layer bounds
  // its size (--max-session-data) before it gets here.
  // An explicit initialize after an implicit one (below) is accepted once and replaces it.
  bool initialize(const Negotiated& negotiated);
  // Legacy SSE: a client that sends requests without ever initializing (the 1.x TypeScript SDK
  // after it reconnects GET /sse to a new session) is served as one that negotiated `revision`
  // and declared no capabilities, as the reference TypeScript server serves it: server->client
  // requests that need a capability are refused. True the first time only (false when the
  // client is already initialized, either way).
  bool initialize_implicitly(std::string_view revision);
  [[nodiscard]] bool initialized() const;
  // Initialized by initialize_implicitly() and not by an initialize since.
  [[nodiscard]] bool implicitly_initialized() const;
  void mark_client_ready();
  [[nodiscard]] bool client_ready() const;
  // "" before initialize.
  [[nodiscard]] std::string protocol_version() const;
  [[nodiscard]] bool client_supports(std::string_view capability) const;
  // Whether the client declared the extension `name` (capabilities.extensions[name], an object).
  [[nodiscard]] bool declares_extension(std::string_view name) const;
  // The client's capabilities and clientInfo as it sent them ({} before initialize).
  [[nodiscard]] nlohmann::json client_capabilities() const;
  [[nodiscard]] nlohmann::json client_info() const;
  // Bytes kept of what the client sent: the compact text of both, and the URIs subscribed to.
  [[nodiscard]] std::size_t client_data_bytes() const;

  // What the credentials of the client's latest request grant (see access.hpp). A session takes
  // the access of each request it serves: the same subject (the transport checks that), whose
  // token may have gained scopes since (step-up authorization).
  void set_access(Access access);
  [[nodiscard]] Access access() const;

  // The client set its level (logging/setLevel): log_level_set() is told.
  void set_log_level(tools::LogLevel level);
  // The level as a stored record of the session holds it: no one is told.
  void load_log_level(tools::LogLevel level);
  [[nodiscard]] tools::LogLevel log_level() const;
  // Called after each set_log_level, on its thread (the session registry keeps the stored
  // record, and so the other processes, up to date). Set once, before the state is shared.
  void on_log_level_set(std::function<void()> hook) { level_set_ = std::move(hook); }

  // False (and nothing kept) when the URI would take client_data_bytes() past `budget`: a
  // resource template matches endless URIs, and each subscription is kept for the client's life.
  bool subscribe(const std::string& uri, std::size_t budget);
  void unsubscribe(const std::string& uri);
  [[nodiscard]] bool subscribed(const std::string& uri) const;

  [[nodiscard]] InFlightRequests& inflight() noexcept { return inflight_; }
  [[nodiscard]] const InFlightRequests& inflight() const noexcept { return inflight_; }
  [[nodiscard]] ReplyRouter& replies() noexcept { return replies_; }

  // Send a message that belongs to no request (list_changed, resources/updated, logs).
  void notify(const nlohmann::json& message);

  // A request other than initialize arrived: the client is in use.
  void note_request() noexcept { used_.store(true); }
  [[nodiscard]] bool used() const noexcept { return used_.load(); }

  // Cancel every running request and wake every wait for the client; later requests start
  // cancelled. Idempotent.
  void end();
  [[nodiscard]] bool ended() const noexcept { return ended_.load(); }

 private:
  const std::string id_;
  const std::shared_ptr<const SharedContext> context_;
  const std::shared_ptr<Outbox> outbox_;

  std::function<void()> level_set_;

  mutable std::mutex mutex_;
  bool initialized_ = false;
  bool implicit_ = false;
  bool client_ready_ = false;
  std::string protocol_version_;
  std::string client_capabilities_ = "{}";  // compact JSON text
  std::string client_info_ = "{}";          // compact JSON text
  std::vector<std::string> declared_;       // capabilities declared (present, not null or false)
  tools::LogLevel log_level_ = tools::LogLevel::debug;
  Access access_;
  std::set<std::string> subscriptions_;
  std::size_t subscription_bytes_ = 0;  // the URIs' lengths together

  InFlightRequests inflight_;
  ReplyRouter replies_;
  std::atomic<bool> used_{false};
  std::atomic<bool> ended_{false};
};

// The client of one modern-era request, alive while it runs: initialized from the request's
// _meta, logging at the level that asked for (not at all when it asked for none). Its id names
// it in the log.
[[nodiscard]] std::shared_ptr<ClientState> make_stateless_client(
    const RequestMeta& meta, std::shared_ptr<const SharedContext> context);

}  // namespace mcpgate::protocol
