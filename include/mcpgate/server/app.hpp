// The composition root: builds every component from a Config, wires the routes, and owns the
// order of start-up and shutdown. main() and the integration tests both run an App.
#pragma once

#include "mcpgate/backend/curl_global.hpp"
#include "mcpgate/backend/http_backend.hpp"
#include "mcpgate/config.hpp"
#include "mcpgate/init_gate.hpp"
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/server/bearer_auth.hpp"
#include "mcpgate/server/http_server.hpp"
#include "mcpgate/server/metrics.hpp"
#include "mcpgate/server/origin_guard.hpp"
#include "mcpgate/server/peer_relay.hpp"
#include "mcpgate/server/resource_server.hpp"
#include "mcpgate/util/worker_pool.hpp"
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/transport/legacy_sse.hpp"
#include "mcpgate/transport/request_runner.hpp"
#include "mcpgate/transport/streamable_http.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

namespace mcpgate::store {
class Database;
}

namespace mcpgate::server {

using util::WorkerPool;

class App {
 public:
  explicit App(Config config);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Bind the port (throws std::runtime_error with a clear message). Returns the bound port.
  int bind();
  // Serve until stop(); returns once every connection has ended.
  void run();
  // Begin a graceful shutdown. Safe from any thread (and repeatable).
  void stop();

  // Initialise the shared context now (for --eager-init), on the calling thread.
  void warm_up() { gate_.warm_up(); }

  [[nodiscard]] int port() const noexcept { return http_.port(); }
  [[nodiscard]] sessions::SessionRegistry& sessions() noexcept { return sessions_; }
  [[nodiscard]] const InitGate<SharedContext>& gate() const noexcept { return gate_; }
  // "idle" (not initialised yet: the first session will), "starting" (initialising), "ready",
  // "degraded" (ready, but the backend did not answer) or "failed"
  [[nodiscard]] std::string init_state() const;
  [[nodiscard]] nlohmann::json health() const;
  // The Prometheus text exposition served at /metrics.
  [[nodiscard]] std::string metrics() const;

 private:
  std::shared_ptr<const SharedContext> build_context();
  // The change feed: a list or resource changed; every listen stream and session that should
  // hear of it is told.
  void changed(const tools::Change& change);
  // The same, for this process only (a change another process published).
  void deliver_change(const tools::Change& change);
  // One reading of every gauge, for /health and /metrics alike.
  [[nodiscard]] MetricsGauges gauges() const;
  void install_routes();
  // The credentials check of every MCP request (the static token, OAuth access tokens): true
  // when it answered the request (401, 403); else the request carries its Access on.
  bool refuse_unauthorized(httplib::Request& req, httplib::Response& res);

  const Config config_;
  const backend::CurlGlobal curl_;  // curl_global_init/cleanup, once, before any backend
  const std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> init_failures_left_;
  // The latest look at the backend (first probe, then every health_check): feeds "degraded".
  std::atomic<bool> backend_reachable_{true};
  // The REST backend once built, so that shutdown can end calls stuck on it.
  std::mutex http_backend_mutex_;
  std::shared_ptr<backend::HttpBackend> http_backend_;  // guarded by http_backend_mutex_

  // Counters for /metrics, shared with the dispatcher, the event streams and the backend.
  const std::shared_ptr<Metrics> metrics_ = std::make_shared<Metrics>();
  const std::shared_ptr<transport::EventCounters> event_counters_ =
      std::make_shared<transport::EventCounters>();

  // The listen streams open on this instance (subscriptions/listen).
  const std::shared_ptr<protocol::Subscriptions> subscriptions_ =
      std::make_shared<protocol::Subscriptions>();

  // The session store's database (--session-store), null without one.
  const std::shared_ptr<store::Database> session_db_;
  sessions::SessionRegistry sessions_;
  InitGate<SharedContext> gate_;
  // The tasks extension's tasks and the threads they run on (one per running task at most).
  const std::shared_ptr<protocol::TaskStore> tasks_;
  const std::shared_ptr<WorkerPool> task_threads_;
  protocol::Dispatcher dispatcher_;
  WorkerPool executor_;
  transport::RequestRunner runner_;
  OriginGuard origin_guard_;
  BearerAuth auth_;
  // With --oauth-issuer: mcpgate as an OAuth resource server (null without).
  std::unique_ptr<ResourceServer> oauth_;
  HttpServer http_;
  transport::StreamableHttp streamable_;
  transport::LegacySse legacy_;
  // The other processes on the session store; null without one. Made last, ended first.
  std::unique_ptr<PeerRelay> peers_;
};

}  // namespace mcpgate::server
