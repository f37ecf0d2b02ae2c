// cpp-httplib, configured so that no connection can starve another: a thread per connection
// from an elastic pool (an immediate 503 past the cap, never a queue), TCP_NODELAY, SO_REUSEADDR
// without SO_REUSEPORT (a second server on the port fails to start), a real listen backlog,
// bounded bodies, per-read and per-write timeouts, a deadline on request headers (slow senders
// cannot hold a connection), and a shutdown that ends idle keep-alive connections at once.
#pragma once

#include "mcpgate/server/request_head.hpp"
#include "mcpgate/util/worker_pool.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace mcpgate::server {

using util::WorkerPool;

class HangupWatch;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::size_t max_connections = 10000;
  std::size_t max_body = 4 * 1024 * 1024;  // on the wire and inflated, for every framing
  HeadLimits head_limits;                   // a request's line and headers
  std::chrono::milliseconds read_timeout{10000};    // one read from a client that makes no progress
  std::chrono::milliseconds write_timeout{10000};   // one write a client makes no room for
  std::chrono::milliseconds header_timeout{20000};  // a request's line and headers, in all
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::size_t keep_alive_requests = 10000;
  int backlog = 1024;
  std::chrono::milliseconds thread_idle_timeout{30000};  // idle connection threads retire after this
};

class HttpServer {
 public:
  explicit HttpServer(HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register routes here before bind().
  [[nodiscard]] httplib::Server& routes() noexcept;

  // Runs before routing; returns true when it has answered the request itself (a refusal). It
  // may annotate the request for its handler (transport/request_access.hpp).
  using RequestFilter = std::function<bool(httplib::Request&, httplib::Response&)>;
  void set_request_filter(RequestFilter filter) { filter_ = std::move(filter); }

  // Bind and listen. Returns the bound port; throws std::runtime_error with a clear message
  // (port in use, bad address) on failure.
  int bind();
  // Serve until stop(). Returns after every connection thread has been joined.
  void run();
  // Stop accepting connections. Safe from any thread; does not wait.
  void stop();
  // End connections idle in keep-alive at once (shutdown would otherwise wait out their
  // keep-alive timeout). Streams still writing should be ended first: their writes fail after.
  void disconnect_idle();

  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(); }
  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] WorkerPool::Stats connection_stats() const;
  [[nodiscard]] std::uint64_t rejected_connections() const noexcept { return rejected_.load(); }
  // Keep-alive connections another thread took over while a call ran after its response on
  // the connection's own thread (the client sent its next request, or closed, meanwhile).
  [[nodiscard]] std::uint64_t moved_connections() const noexcept { return moved_.load(); }

 private:
  class OpenConnections;
  class Listener;
  class ConnectionQueue;

  HttpOptions options_;
  RequestFilter filter_;
  std::shared_ptr<WorkerPool> connections_;
  std::unique_ptr<OpenConnections> open_;
  std::unique_ptr<HangupWatch> hangups_;
  std::atomic<bool> stopping_{false};  // before listener_, which reads it
  std::atomic<std::uint64_t> moved_{0};  // before listener_, which counts into it
  std::unique_ptr<Listener> listener_;
  std::atomic<std::uint64_t> rejected_{0};
  int port_ = -1;
};

}  // namespace mcpgate::server
