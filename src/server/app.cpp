#include "mcpgate/server/app.hpp"

#include "mcpgate/server/cors.hpp"
#include "mcpgate/server/state_key.hpp"

#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/backend/http_backend.hpp"
#include "mcpgate/backend/metered_backend.hpp"
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/server/shared_tasks.hpp"
#include "mcpgate/sessions/peer_bus.hpp"
#include "mcpgate/sessions/session_store.hpp"
#include "mcpgate/store/data_path.hpp"
#include "mcpgate/store/database.hpp"
#include "mcpgate/tools/archon/archon_tools.hpp"
#include "mcpgate/tools/archon/instructions.hpp"
#include "mcpgate/tools/conformance_fixtures.hpp"
#include "mcpgate/tools/local_tools.hpp"
#include "mcpgate/transport/request_access.hpp"
#include "mcpgate/transport/stream_set.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <thread>

namespace mcpgate::server {

using json = nlohmann::json;

namespace {

// How long running requests may take to deliver their answers at shutdown. The whole exit must
// fit in 2 s (what service managers are told); after the drain, cancelling the rest and joining
// thousands of threads took up to 0.6 s on two loaded cores, so 1 s leaves room for it.
constexpr std::chrono::milliseconds drain_limit{1000};
const backend::Timeouts probe_timeouts{std::chrono::seconds(5), std::chrono::seconds(5),
                                       std::chrono::seconds(5)};

// GET /api/health on the backend: never throws, never waits past probe_timeouts.
BackendProbe probe(backend::Backend& backend) {
  BackendProbe result;
  try {
    const auto response = backend.request("GET", "/api/health", {}, nullptr, probe_timeouts);
    result.reachable = response.ok();
    result.summary = "answered HTTP " + std::to_string(response.status);
  } catch (const backend::TransportError& e) {
    result.summary = e.what();  // method and path only, never the host (http_backend.hpp)
  } catch (const std::exception& e) {
    result.summary = "failed (the server log says why)";
    result.detail = backend.describe() + ": " + e.what();
  }
  if (result.detail.empty()) result.detail = backend.describe() + " " + result.summary;
  return result;
}

// The session store: the store's SQLite file or PostgreSQL database (--session-store, by default
// the embedded store's), which also carries the events between the processes sharing it
// (PeerRelay). A store that cannot be opened is logged, and sessions then end with the process,
// as the embedded store's own failure is reported to clients and retried rather than stopping
// the server.
std::shared_ptr<store::Database> open_session_database(const Config& config) {
  if (config.session_store.empty()) return nullptr;
  const std::string location = config.session_store.string();
  try {
    store::ensure_parent_directories(location);
    // A record lost with the machine costs its client one 404; an fsync per initialize would
    // cost every client (2 ms each, measured). (PostgreSQL commits as its server is set to.)
    auto database = backend::open_store(
        location, store::OpenOptions{.max_connections = config.store_connections,
                                     .idle_transaction_timeout = config.store_idle_transaction_timeout,
                                     .durability = store::OpenOptions::Durability::process_death});
    spdlog::info("session store at {}: Streamable HTTP sessions outlive this process, and "
                 "every process on it serves them",
                 store::shown_location(location));
    return database;
  } catch (const std::exception& e) {
    spdlog::error("cannot open the session store {}: {}; sessions end with this process",
                  store::shown_location(location), e.what());
    return nullptr;
  }
}

// With a shared store, every instance on it can serve every task's requests.
std::shared_ptr<protocol::TaskShare> shared_tasks(
    const std::shared_ptr<store::Database>& database,
    std::function<bool(const sessions::PeerEvent&)> forward) {
  if (!database) return nullptr;
  return std::make_shared<SharedTasks>(database, std::move(forward));
}

sessions::RegistryOptions registry_options(const Config& config,
                                           std::shared_ptr<transport::EventCounters> counters,
                                           const std::shared_ptr<store::Database>& database,
                                           std::function<void(const std::string&)> record_deleted,
                                           std::function<void(const std::string&)> record_changed) {
  sessions::RegistryOptions options;
  if (database) options.store = sessions::make_database_session_store(database);
  options.record_deleted = std::move(record_deleted);
  options.record_changed = std::move(record_changed);
  options.max_sessions = config.max_sessions;
  options.max_inflight = config.max_inflight;
  options.idle_ttl = config.session_ttl;
  // "a.<random>": nginx maps the stamp to the instance that holds the session.
  if (!config.instance_id.empty()) options.id_prefix = config.instance_id + ".";
  options.make_streams =
      transport::make_streams(transport::StreamOptions{.replay_events = config.replay_events,
                                                       .max_stream_bytes = config.max_stream_bytes,
                                                       .counters = std::move(counters)});
  return options;
}

HttpOptions http_options(const Config& config) {
  HttpOptions options;
  options.host = config.host;
  options.port = config.port;
  options.max_connections = config.max_connections;
  options.max_body = config.max_body;
  options.head_limits.header_bytes = config.max_header_bytes;
  options.head_limits.header_count = config.max_headers;
  options.thread_idle_timeout = config.thread_idle_timeout;
  options.read_timeout = config.client_io_timeout;
  options.write_timeout = config.client_io_timeout;
  options.header_timeout = config.header_timeout;
  return options;
}

transport::EndpointOptions endpoint_options(const Config& config) {
  return transport::EndpointOptions{config.public_url, config.trust_forwarded};
}

transport::TransportOptions transport_options(
    const Config& config, std::shared_ptr<transport::EventCounters> counters) {
  return transport::TransportOptions{.json_response = config.json_response,
                                     .heartbeat = config.heartbeat,
                                     .sse_retry_ms = config.sse_retry_ms,
                                     .max_parse_bytes = config.max_parse_bytes,
                                     .max_stream_bytes = config.max_stream_bytes,
                                     .counters = std::move(counters)};
}

// The OAuth resource server --oauth-issuer asks for, or null.
std::unique_ptr<ResourceServer> resource_server(const Config& config) {
  const auto& oauth = config.oauth;
  if (oauth.issuer.empty()) return nullptr;
  ResourceServerOptions options{
      .resource = oauth.resource,
      .scopes = protocol::ToolScopes{.read = oauth.read_scope, .write = oauth.write_scope},
      .leeway = oauth.leeway,
      .max_token_bytes = oauth.max_token_bytes,
      .keys = IssuerKeysOptions{.issuer = oauth.issuer,
                                .refresh = oauth.jwks_refresh,
                                .min_refresh = oauth.jwks_min_refresh,
                                .max_jwks_bytes = oauth.max_jwks_bytes,
                                .max_keys = oauth.max_keys,
                                .timeout = std::chrono::milliseconds(5000),
                                .fetch = curl_fetch},
      .introspection = std::nullopt};
  if (!oauth.introspection_url.empty())
    options.introspection = IntrospectionOptions{.url = oauth.introspection_url,
                                                 .client_id = oauth.client_id,
                                                 .client_secret = oauth.client_secret,
                                                 .ttl = oauth.introspection_ttl,
                                                 .max_entries = oauth.introspection_cache,
                                                 .timeout = std::chrono::milliseconds(5000),
                                                 .fetch = curl_fetch};
  spdlog::info("OAuth: resource server for issuer {}; resource {}; scopes '{}' (all tools), '{}' "
               "(manage_*); opaque tokens {}",
               oauth.issuer, oauth.resource.empty() ? "http://<Host>/mcp" : oauth.resource,
               oauth.read_scope, oauth.write_scope,
               oauth.introspection_url.empty() ? "refused (no --oauth-introspection-url)"
                                               : "introspected at " + oauth.introspection_url);
  auto server = std::make_unique<ResourceServer>(std::move(options));
  server->start();
  return server;
}

// The requestState codec, with the key instances share (or one of this process's own).
std::shared_ptr<const protocol::RequestStateCodec> request_state_codec(const Config& config) {
  StateKey key = config.state_key_file.empty() ? random_state_key()
                                               : load_or_create_state_key(config.state_key_file);
  for (const auto& warning : key.warnings) spdlog::warn("{}", warning);
  switch (key.origin) {
    case StateKey::Origin::file:
      spdlog::info("requestState key read from {}", config.state_key_file);
      break;
    case StateKey::Origin::created:
      spdlog::info("requestState key created in {}", config.state_key_file);
      break;
    case StateKey::Origin::random:
      spdlog::info("requestState key: random, this process's own; instances behind a load "
                   "balancer need a shared --state-key-file");
      break;
  }
  return std::make_shared<const protocol::RequestStateCodec>(
      std::move(key.bytes),
      protocol::RequestStateCodec::Options{.ttl = config.state_ttl,
                                           .max_bytes = config.max_request_state});
}

}  // namespace

App::App(Config config)
    : config_(std::move(config)),
      started_(std::chrono::steady_clock::now()),
      init_failures_left_(config_.test_init_failures),
      session_db_(open_session_database(config_)),
      sessions_(registry_options(config_, event_counters_, session_db_,
                                 [this](const std::string& id) {
                                   if (peers_) peers_->session_deleted(id);
                                 },
                                 [this](const std::string& id) {
                                   if (peers_) peers_->session_changed(id);
                                 })),
      gate_([this] { return build_context(); },
            InitGate<SharedContext>::Options{config_.init_timeout, config_.init_retry,
                                             std::chrono::milliseconds(60000)}),
      tasks_(std::make_shared<protocol::TaskStore>(
          protocol::TaskStoreOptions{.max_tasks = config_.max_tasks,
                                     .max_result_bytes = config_.max_task_result_bytes,
                                     .ttl = config_.task_ttl,
                                     .poll_interval = std::chrono::milliseconds(1000),
                                     .clock = nullptr,
                                     .share = shared_tasks(session_db_, [this](const auto& event) {
                                       return peers_ && peers_->forward(event);
                                     })})),
      task_threads_(std::make_shared<WorkerPool>(WorkerPool::Options{
          config_.max_tasks, 512 * 1024, config_.thread_idle_timeout, 0, "task"})),
      dispatcher_(protocol::DispatchOptions{
          .page_size = 100,
          .client_request_timeout = config_.client_request_timeout,
          .observer = metrics_,
          .max_session_data = config_.max_session_data,
          .listing_ttl = std::chrono::milliseconds(300000),
          .subscriptions = subscriptions_,
          .max_listen_uris = config_.max_listen_uris,
          .tasks = tasks_,
          .task_threads = task_threads_,
          .request_state = request_state_codec(config_),
          .tool_scopes = protocol::ToolScopes{.read = config_.oauth.read_scope,
                                              .write = config_.oauth.write_scope}}),
      executor_(WorkerPool::Options{config_.max_connections, 512 * 1024,
                                    config_.thread_idle_timeout, 2, "executor"}),
      runner_(dispatcher_, executor_,
              [this](const sessions::Session& session, const nlohmann::json& message) {
                if (peers_) peers_->unclaimed(session, message);
              }),
      origin_guard_(OriginGuard::is_loopback_address(config_.host), config_.allowed_hosts,
                    config_.allowed_origins),
      auth_(config_.auth_token),
      oauth_(resource_server(config_)),
      http_(http_options(config_)),
      streamable_(transport::TransportDeps{sessions_, gate_, runner_,
                                           transport_options(config_, event_counters_)}),
      legacy_(transport::TransportDeps{sessions_, gate_, runner_,
                                       transport_options(config_, event_counters_)},
              endpoint_options(config_)) {
  install_routes();
  if (session_db_)
    peers_ = std::make_unique<PeerRelay>(
        sessions::make_store_peer_bus(session_db_),
        PeerRelay::Deps{.sessions = sessions_,
                        .dispatcher = dispatcher_,
                        .deliver_change = [this](const tools::Change& c) { deliver_change(c); },
                        .tasks = tasks_});
  // Check for idle sessions a few times per TTL, at most every 30 s.
  sessions_.start_reaper(std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(30000),
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.session_ttl) / 4 +
          std::chrono::milliseconds(1)));
}

App::~App() {
  stop();
  peers_.reset();  // its thread applies events to the sessions and the dispatcher
  executor_.shutdown();  // its jobs refer to the runner and the sessions
  task_threads_->shutdown();  // stop() cancelled the tasks: their handlers return soon
}

std::shared_ptr<const SharedContext> App::build_context() {
  spdlog::info("initialising the shared context");
  const auto began = std::chrono::steady_clock::now();
  if (config_.test_init_delay.count() > 0) std::this_thread::sleep_for(config_.test_init_delay);
  if (init_failures_left_.fetch_sub(1) > 0) {
    spdlog::warn("shared context initialisation failed (test hook)");
    throw std::runtime_error("simulated initialisation failure (--test-init-failures)");
  }

  auto context = std::make_shared<SharedContext>();
  context->info.version = version_string();
  context->info.title = "mcpgate";
  context->info.description =
      "MCP server with a project, task and knowledge-base toolset for coding assistants";
  tools::ServerStatusSource status{
      .session_counts =
          [this] {
            const auto counts = sessions_.counts();
            return tools::OpenSessions{.streamable_http = counts.streamable_http,
                                       .legacy_sse = counts.legacy_sse};
          },
      .sessions_active_since = [this](auto since) { return sessions_.active_since(since); },
      .init_state = [this] { return init_state(); },
      .started = started_,
      .session_ttl = config_.session_ttl,
      .probe_backend = nullptr};
  if (!config_.backend_url.empty()) {
    const backend::Timeouts timeouts{config_.backend_connect_timeout, config_.backend_read_timeout,
                                     config_.backend_request_timeout};
    std::shared_ptr<backend::HttpBackend> http;
    try {
      http = std::make_shared<backend::HttpBackend>(
          config_.backend_url,
          backend::HttpBackendOptions{.timeouts = timeouts,
                                      .max_response_bytes = config_.backend_max_body,
                                      .max_parse_bytes = 8 * config_.backend_max_body});
    } catch (const std::invalid_argument& e) {
      // The message names the URL: the log gets it, clients (this error ends up in their 503)
      // do not.
      spdlog::error("{}", e.what());
      throw std::runtime_error("the backend URL is not usable (the server log says why)");
    }
    {
      std::lock_guard lock(http_backend_mutex_);
      http_backend_ = http;
    }
    if (stopping_.load()) http->cancel_all();  // shutdown began while we were starting up
    context->backend = std::move(http);
  } else if (!config_.data_path.empty()) {
    // No REST server: the same routes from the embedded store. A failure to open it (folder
    // not creatable, file unwritable, schema from a newer mcpgate) fails initialisation with
    // that message; the gate reports it and retries after its backoff.
    const std::string location = config_.data_path.string();
    try {
      store::ensure_parent_directories(location);
      context->backend = std::make_shared<backend::EmbeddedBackend>(
          location, store::OpenOptions{.max_connections = config_.store_connections,
                                       .idle_transaction_timeout = config_.store_idle_transaction_timeout});
    } catch (const std::exception& e) {
      // The reason names the data file: the log gets it, clients (this error ends up in their
      // 503) do not.
      spdlog::error("cannot open the embedded store: {}", e.what());
      throw std::runtime_error("cannot open the embedded store (the server log says why)");
    }
    spdlog::info("embedded store at {}", store::shown_location(location));
  }
  if (context->backend) {
    context->backend = std::make_shared<backend::MeteredBackend>(
        context->backend,
        [metrics = metrics_, &reachable = backend_reachable_](std::string_view outcome,
                                                              std::chrono::nanoseconds took) {
          metrics->backend_request_finished(outcome, took);
          // Every answer, or failure to get one, says whether the backend is there: /health
          // follows it (degraded <-> ready) without waiting for the next health_check.
          if (outcome == "2xx" || outcome == "3xx" || outcome == "4xx")
            reachable = true;
          else if (outcome == "connection_error" || outcome == "connect_timeout" ||
                   outcome == "read_timeout")
            reachable = false;
        });
    context->first_probe = probe(*context->backend);
    backend_reachable_ = context->first_probe.reachable;
    if (context->first_probe.reachable)
      spdlog::info("backend {}", context->first_probe.detail);
    else
      spdlog::warn("backend not ready ({}); serving anyway, its tools report errors until it is",
                   context->first_probe.detail);
    std::weak_ptr<backend::Backend> weak = context->backend;
    status.probe_backend = [this, weak] {
      auto backend = weak.lock();
      if (!backend) return nlohmann::json{{"api_service", false}, {"detail", "no backend"}};
      const auto result = probe(*backend);
      backend_reachable_ = result.reachable;
      if (!result.reachable) spdlog::warn("health_check: backend {}", result.detail);
      return nlohmann::json{{"api_service", result.reachable}, {"detail", result.summary}};
    };
  }
  tools::Lists lists;
  tools::register_local_tools(lists.tools, status);
  if (context->backend) {
    tools::archon::ArchonToolOptions options;
    options.api = backend::Timeouts{config_.backend_connect_timeout, config_.backend_read_timeout,
                                    config_.backend_request_timeout};
    tools::archon::register_archon_tools(lists.tools, context->backend, options);
    context->info.instructions = std::string(tools::archon::instructions());
    lists.catalog.add(tools::archon::instructions_resource());
  }
  if (config_.conformance_fixtures)
    tools::register_conformance_fixtures(lists.tools, lists.catalog, context->lists);
  const std::size_t tool_count = lists.tools.size();
  context->lists->start_with(std::move(lists));
  context->lists->set_observer([this](const tools::Change& change) { changed(change); });

  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began);
  spdlog::info("shared context ready in {} ms: {} tools", took.count(), tool_count);
  return context;
}

void App::changed(const tools::Change& change) {
  deliver_change(change);
  if (peers_) peers_->changed(change);
}

void App::deliver_change(const tools::Change& change) {
  subscriptions_->deliver(change);
  for (const auto& session : sessions_.all()) protocol::notify_session(*session, change);
}

std::string App::init_state() const {
  switch (gate_.status().state) {
    case InitGate<SharedContext>::State::ready: {
      return backend_reachable_.load() ? "ready" : "degraded";
    }
    case InitGate<SharedContext>::State::failed:
      return "failed";
    case InitGate<SharedContext>::State::running:
      return "starting";
    case InitGate<SharedContext>::State::idle:
      break;
  }
  // Initialisation is lazy: nothing has asked for it yet (the first session will, or
  // --eager-init at start). Healthy, only idle; "starting" would read as stuck.
  return "idle";
}

MetricsGauges App::gauges() const {
  const auto status = gate_.status();
  const auto counts = sessions_.counts();
  const auto connections = http_.connection_stats();
  const auto requests = executor_.stats();
  MetricsGauges g;
  g.sessions_streamable_http = counts.streamable_http;
  g.sessions_legacy_sse = counts.legacy_sse;
  g.sessions_evicted = sessions_.evictions();
  g.sessions_expired = sessions_.expirations();
  g.sessions_refused = sessions_.refusals();
  g.connection_threads = connections.threads;
  g.connection_threads_busy = connections.busy;
  g.request_threads = requests.threads;
  g.request_threads_busy = requests.busy;
  g.connections_rejected = http_.rejected_connections();
  g.connections_moved = http_.moved_connections();
  g.init_state = init_state();
  g.init_runs = status.runs;
  g.init_last_duration_seconds = std::chrono::duration<double>(status.last_duration).count();
  g.init_last_error = status.last_error;
  g.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  g.sse_events_queued = event_counters_->queued.load(std::memory_order_relaxed);
  g.sse_events_dropped = event_counters_->dropped.load(std::memory_order_relaxed);
  g.sse_streams_overflowed = event_counters_->overflowed.load(std::memory_order_relaxed);
  g.listen_streams = subscriptions_->open_count();
  return g;
}

json App::health() const {
  const MetricsGauges g = gauges();
  json body{
      {"status", g.init_state},
      {"version", version_string()},
      {"uptime_seconds", g.uptime_seconds},
      {"sessions",
       {{"total", g.sessions_streamable_http + g.sessions_legacy_sse},
        {"streamable_http", g.sessions_streamable_http},
        {"legacy_sse", g.sessions_legacy_sse}}},
      {"connections", {{"threads", g.connection_threads}, {"busy", g.connection_threads_busy}}},
      {"initialization",
       {{"runs", g.init_runs},
        {"last_duration_ms", std::llround(g.init_last_duration_seconds * 1000.0)}}}};
  if (!g.init_last_error.empty()) body["initialization"]["last_error"] = g.init_last_error;
  if (!config_.instance_id.empty()) body["instance"] = config_.instance_id;
  return body;
}

std::string App::metrics() const { return metrics_->render(gauges()); }

void App::install_routes() {
  auto& routes = http_.routes();
  // Every request except /health passes, in order: the Host/Origin check (403), CORS (an
  // accepted Origin gets its headers on every answer; a preflight is answered here), then the
  // bearer token (401). /health stays open to probes.
  http_.set_request_filter([this](httplib::Request& req, httplib::Response& res) {
    if (req.path == "/health") return false;
    // The Protected Resource Metadata is public: clients read it to learn where to sign in.
    if (oauth_ && (req.method == "GET" || req.method == "HEAD") && oauth_->is_metadata_path(req.path)) {
      if (!origin_guard_.check(req.get_header_value("Host"), {})) {
        if (const std::string origin = req.get_header_value("Origin"); !origin.empty())
          cors::allow(res, origin);
        res.set_header("Cache-Control", "max-age=300");
        res.set_content(oauth_->metadata(req.get_header_value("Host"), req.path).dump(), "application/json");
        return true;
      }
    }
    const std::string origin = req.get_header_value("Origin");
    if (auto refusal = origin_guard_.check(req.get_header_value("Host"), origin)) {
      spdlog::warn("refused {} {} from {}: {}", req.method, req.path, req.remote_addr, *refusal);
      transport::http::send_error(res, 403, jsonrpc::code::transport_error, "Forbidden: " + *refusal);
      return true;
    }
    if (cors::is_preflight(req)) {
      cors::answer_preflight(res, origin);
      return true;
    }
    if (!origin.empty()) cors::allow(res, origin);
    return refuse_unauthorized(req, res);
  });
  streamable_.install(routes, "/mcp");
  legacy_.install(routes, "/sse", "/messages");
  routes.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  routes.set_logger([metrics = metrics_](const httplib::Request&, const httplib::Response& res) {
    metrics->http_response(res.status);
  });
  routes.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const json body = health();
    res.status = body["status"] == "failed" ? 503 : 200;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body.dump(), "application/json");
  });
}

bool App::refuse_unauthorized(httplib::Request& req, httplib::Response& res) {
  const std::string authorization = req.get_header_value("Authorization");
  if (!auth_.enabled() && !oauth_) return false;
  // The static token, alone or beside OAuth: unscoped, and nobody's (its sessions are its own).
  if (auth_.enabled() && auth_.allows(authorization)) {
    transport::attach_access(req, protocol::Access{.subject = {}, .scopes = {}, .every_scope = true});
    return false;
  }
  if (!oauth_) {
    spdlog::warn("refused {} {} from {}: missing or wrong bearer token", req.method, req.path,
                 req.remote_addr);
    res.set_header("WWW-Authenticate", R"(Bearer realm="mcpgate")");
    transport::http::send_error(res, 401, jsonrpc::code::transport_error,
                                "Unauthorized: send 'Authorization: Bearer <token>'");
    return true;
  }
  auto verdict = oauth_->check(authorization, req.get_header_value("Host"), req.path);
  if (verdict.status == 200) {
    transport::attach_access(req, verdict.access);
    return false;
  }
  spdlog::warn("refused {} {} from {}: {}", req.method, req.path, req.remote_addr, verdict.message);
  res.set_header("WWW-Authenticate", verdict.www_authenticate);
  transport::http::send_error(res, verdict.status, jsonrpc::code::transport_error, verdict.message);
  return true;
}

int App::bind() { return http_.bind(); }

void App::run() {
  http_.run();
}

void App::stop() {
  if (stopping_.exchange(true)) return;
  spdlog::info("shutting down: {} sessions open", sessions_.counts().total());
  http_.stop();  // no new connections
  // Let running requests finish and deliver their responses, for a bounded time.
  if (!executor_.wait_idle(drain_limit))
    spdlog::warn("shutdown: requests still running after {} ms; cancelling them",
                 drain_limit.count());
  // Calls still waiting on the backend (or a start-up probe) end now instead of at its timeouts.
  {
    std::lock_guard lock(http_backend_mutex_);
    if (http_backend_) http_backend_->cancel_all();
  }
  subscriptions_->end_all();  // each listen stream gets its listen result and ends
  sessions_.end_all();  // every stream writes its last chunk and ends; the rest is cancelled
  tasks_->cancel_all("The server is shutting down");  // tasks run in this instance only
  // A moment for those last chunks, then end the connections idling in keep-alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  http_.disconnect_idle();
  spdlog::debug("shutdown: sessions ended, idle connections closed");
}

}  // namespace mcpgate::server
