#include "mcpgate/server/http_server.hpp"

#include <spdlog/spdlog.h>

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

namespace mcpgate::server {

namespace {

// Set on the thread serving a connection that arrived past --max-connections: the pre-routing
// handler answers it 503 at once. Per-thread by nature (it describes the current connection).
thread_local bool serving_overflow = false;

// End every accepted connection to `port` that is idle in keep-alive, so that shutdown does not
// wait out keep-alive timeouts. Listening sockets are already closed by then.
void shutdown_accepted_sockets(int port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    struct stat st {};
    if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &len) != 0)
      continue;
    int local_port = -1;
    if (local.ss_family == AF_INET)
      local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    else if (local.ss_family == AF_INET6)
      local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    if (local_port != port) continue;
    sockaddr_storage peer{};
    len = sizeof(peer);
    if (::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &len) != 0)
      continue;  // not a connection
    ::shutdown(static_cast<int>(fd), SHUT_RD);
  }
  ::closedir(dir);
}

}  // namespace

// httplib's Server with a real listen backlog (0.11.4 hard-codes 5).
class HttpServer::Listener : public httplib::Server {
 public:
  bool relisten(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

// Gives each accepted connection a pool thread at once. Past the cap the connection still gets a
// short-lived thread, flagged so that it is answered 503 and closed; if even that is impossible,
// it is served on the accepting thread.
class HttpServer::ConnectionQueue : public httplib::TaskQueue {
  // cpp-httplib 0.15 made enqueue() return bool (false: refuse the connection); 0.11 returns
  // void. Follow whichever the library declares.
  using EnqueueResult =
      decltype(std::declval<httplib::TaskQueue&>().enqueue(std::function<void()>{}));

 public:
  ConnectionQueue(std::shared_ptr<WorkerPool> pool, std::atomic<std::uint64_t>& rejected)
      : pool_(std::move(pool)), rejected_(rejected) {}

  EnqueueResult enqueue(std::function<void()> fn) override {
    if (!pool_->try_submit(fn)) reject(std::move(fn));
    return static_cast<EnqueueResult>(true);  // void on 0.11; "accepted" on 0.15+
  }

  void shutdown() override {
    pool_->shutdown();
    // Overflow threads answer one 503 each and are bounded by the socket timeouts.
    std::unique_lock lock(overflow_->mutex);
    overflow_->done.wait(lock, [&] { return overflow_->running == 0; });
  }

 private:
  struct Overflow {
    std::mutex mutex;
    std::condition_variable done;
    int running = 0;
  };
  static constexpr int max_overflow = 64;

  void reject(std::function<void()> fn) {
    rejected_.fetch_add(1);
    auto answer_503 = [fn = std::move(fn)] {
      serving_overflow = true;
      fn();
      serving_overflow = false;
    };
    {
      std::lock_guard lock(overflow_->mutex);
      if (overflow_->running < max_overflow) {
        ++overflow_->running;
        try {
          std::thread([overflow = overflow_, answer_503] {
            answer_503();
            std::lock_guard lock(overflow->mutex);
            --overflow->running;
            overflow->done.notify_all();
          }).detach();
          return;
        } catch (const std::system_error&) {
          --overflow_->running;
        }
      }
    }
    answer_503();  // last resort: on the accepting thread
  }

  std::shared_ptr<WorkerPool> pool_;
  std::atomic<std::uint64_t>& rejected_;
  std::shared_ptr<Overflow> overflow_ = std::make_shared<Overflow>();
};

HttpServer::HttpServer(HttpOptions options)
    : options_(std::move(options)),
      connections_(std::make_shared<WorkerPool>(WorkerPool::Options{
          options_.max_connections, 256 * 1024, options_.thread_idle_timeout, 4,
          "connection"})),
      listener_(std::make_unique<Listener>()) {
  auto& svr = *listener_;
  svr.new_task_queue = [this] { return new ConnectionQueue(connections_, rejected_); };
  svr.set_tcp_nodelay(true);
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  svr.set_keep_alive_max_count(options_.keep_alive_requests);
  svr.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  svr.set_read_timeout(options_.read_timeout.count(), 0);
  svr.set_write_timeout(options_.write_timeout.count(), 0);
  svr.set_payload_max_length(options_.max_body);
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!serving_overflow) {
      return filter_ && filter_(req, res) ? httplib::Server::HandlerResponse::Handled
                                          : httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    res.set_content(R"({"error":"too many connections; try again shortly"})", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                               std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: unhandled exception: {}", req.method, req.path, what);
    res.status = 500;
    res.set_content(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}})",
                    "application/json");
  });
}

HttpServer::~HttpServer() {
  stop();
  connections_->shutdown();
}

httplib::Server& HttpServer::routes() noexcept { return *listener_; }

int HttpServer::bind() {
  errno = 0;
  int port = options_.port;
  if (port == 0) {
    port = listener_->bind_to_any_port(options_.host);
  } else if (!listener_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    const int err = errno;
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " +
                             (err ? std::strerror(err) : "address unavailable") +
                             (err == EADDRINUSE ? " (another server is using this port)" : ""));
  }
  if (!listener_->relisten(options_.backlog))
    spdlog::warn("could not raise the listen backlog to {}", options_.backlog);
  port_ = port;
  return port_;
}

void HttpServer::run() { listener_->listen_after_bind(); }

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  listener_->stop();
}

void HttpServer::disconnect_idle() {
  if (port_ > 0) shutdown_accepted_sockets(port_);
}

WorkerPool::Stats HttpServer::connection_stats() const { return connections_->stats(); }

}  // namespace mcpgate::server
