#include "mcpgate/server/http_server.hpp"

#include <spdlog/spdlog.h>

#include "mcpgate/server/connection_stream.hpp"
#include "mcpgate/server/hangup_watch.hpp"
#include "mcpgate/transport/connection_hooks.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace mcpgate::server {

namespace {

// Set on the thread serving a connection that arrived past --max-connections: the pre-routing
// handler answers it 503 at once. Per-thread by nature (it describes the current connection).
thread_local bool serving_overflow = false;

// Set by the pre-routing handler when it answered a request whose body it never read (httplib
// runs it before reading bodies): the connection loop then closes the connection after that
// answer, since the unread body would otherwise be parsed as the next request.
thread_local bool close_after_answer = false;

bool carries_body(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  const auto length = req.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

}  // namespace

// The connections being served, so that shutdown can end the ones idle in keep-alive at once.
// A descriptor leaves the set before it is closed: its number is never acted on after the
// kernel may have given it to a new connection.
class HttpServer::OpenConnections {
 public:
  void add(int fd) {
    std::lock_guard lock(mutex_);
    fds_.insert(fd);
  }
  void remove(int fd) {
    std::lock_guard lock(mutex_);
    fds_.erase(fd);
  }
  // shutdown(2) never blocks, so holding the lock across it keeps remove()-then-close() ordered
  // after it without stalling anyone.
  void shutdown_reads() {
    std::lock_guard lock(mutex_);
    for (const int fd : fds_) ::shutdown(fd, SHUT_RD);
  }

 private:
  std::mutex mutex_;
  std::unordered_set<int> fds_;
};

// What the SSE writers of one connection may ask of it: hang-up notices and flushes.
class ServedConnection final : public transport::ConnectionHooks {
 public:
  ServedConnection(HangupWatch& watch, ConnectionStream& stream) noexcept
      : watch_(watch), stream_(stream) {}
  std::shared_ptr<void> watch_hangup(std::function<void()> on_hangup) override {
    return watch_.watch(stream_.socket(), std::move(on_hangup));
  }
  bool flush() override { return stream_.flush(); }

 private:
  HangupWatch& watch_;
  ConnectionStream& stream_;
};

// httplib's Server with a real listen backlog (0.11.4 hard-codes 5), serving each connection
// through mcpgate's own loop and ConnectionStream, so that request headers have a deadline and
// open connections are known by descriptor.
class HttpServer::Listener : public httplib::Server {
 public:
  Listener(const HttpOptions& options, OpenConnections& open, HangupWatch& hangups)
      : options_(options), open_(open), hangups_(hangups) {}

  bool relisten(int backlog) { return ::listen(svr_sock_, backlog) == 0; }

 private:
  // httplib's keep-alive protocol, as its own loop runs it: up to keep_alive_requests requests,
  // each after at most keep_alive_timeout of silence, until a request asks to close or the
  // server stops.
  bool process_and_close_socket(socket_t sock) override {
    int yes = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    open_.add(sock);
    ConnectionStream stream(sock, StreamTimeouts{options_.read_timeout, options_.write_timeout});
    ServedConnection served(hangups_, stream);
    transport::ScopedConnectionHooks serving(&served);
    bool ok = false;
    for (std::size_t left = options_.keep_alive_requests;
         left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
      if (!stream.wait_for_request(options_.keep_alive_timeout)) break;
      stream.set_deadline(ConnectionStream::Clock::now() + options_.header_timeout);
      bool closed = false;
      ok = process_request(stream, left == 1, closed,
                           [&stream](httplib::Request&) { stream.clear_deadline(); });
      // The response was gathered: send it (headers and a short body in one send).
      if (!stream.flush()) ok = false;
      if (stream.deadline_expired()) {
        std::string ip;
        int port = 0;
        stream.get_remote_ip_and_port(ip, port);
        spdlog::info("closed the connection from {}:{}: its request headers took longer than {} ms",
                     ip, port, options_.header_timeout.count());
        break;
      }
      if (close_after_answer) {
        close_after_answer = false;
        break;
      }
      if (!ok || closed || stream.read_failed()) break;
    }
    open_.remove(sock);
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  const HttpOptions& options_;
  OpenConnections& open_;
  HangupWatch& hangups_;
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
      open_(std::make_unique<OpenConnections>()),
      hangups_(std::make_unique<HangupWatch>()),
      listener_(std::make_unique<Listener>(options_, *open_, *hangups_)) {
  auto& svr = *listener_;
  svr.new_task_queue = [this] { return new ConnectionQueue(connections_, rejected_); };
  svr.set_tcp_nodelay(true);
  // Our own connection loop enforces these; httplib only advertises them (Keep-Alive header).
  svr.set_keep_alive_max_count(options_.keep_alive_requests);
  svr.set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count());
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  svr.set_payload_max_length(options_.max_body);
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (serving_overflow) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      res.set_content(R"({"error":"too many connections; try again shortly"})", "application/json");
      close_after_answer = true;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!filter_ || !filter_(req, res)) return httplib::Server::HandlerResponse::Unhandled;
    if (carries_body(req)) {
      res.set_header("Connection", "close");
      close_after_answer = true;
    }
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

void HttpServer::disconnect_idle() { open_->shutdown_reads(); }

WorkerPool::Stats HttpServer::connection_stats() const { return connections_->stats(); }

}  // namespace mcpgate::server
