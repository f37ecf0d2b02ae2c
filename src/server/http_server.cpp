#include "mcpgate/server/http_server.hpp"

#include <spdlog/spdlog.h>

#include "mcpgate/server/connection_stream.hpp"
#include "mcpgate/server/hangup_watch.hpp"
#include "mcpgate/server/httplib_compat.hpp"
#include "mcpgate/server/request_body.hpp"
#include "mcpgate/server/response_compression.hpp"
#include "mcpgate/transport/connection_hooks.hpp"
#include "mcpgate/util/compact_json.hpp"
#include "mcpgate/util/text.hpp"

#include <nlohmann/json.hpp>

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

// What admission decided for the request being served on this thread's connection. httplib hands
// its pre-routing handler only the request and the response, so this is how the decision reaches
// the response.
struct Admission {
  httplib::Response response;  // headers for the answer (CORS); status and body when answered
  bool admitted = false;       // admission ran: httplib did not answer the request on its own
  bool answered = false;       // answer with `response` instead of routing the request
  bool close = false;          // and close the connection after that answer
  bool accepts_gzip = false;   // the request's Accept-Encoding (taken off it: see below)
};

namespace {

// Set on the thread serving a connection that arrived past --max-connections: it is answered 503
// at once. Per-thread by nature (it describes the current connection).
thread_local bool serving_overflow = false;

// The admission of the request being served on this thread (see Admission).
thread_local Admission* current_admission = nullptr;

class ScopedAdmission {
 public:
  explicit ScopedAdmission(Admission& admission) noexcept { current_admission = &admission; }
  ~ScopedAdmission() { current_admission = nullptr; }
  ScopedAdmission(const ScopedAdmission&) = delete;
  ScopedAdmission& operator=(const ScopedAdmission&) = delete;
};

void set_refusal(httplib::Response& res, const Refusal& refusal) {
  res.status = refusal.status;
  res.set_content(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":)" +
                      util::compact_json(nlohmann::json(refusal.message)) + "}}",
                  "application/json");
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

// What the SSE writers of one connection may ask of it: hang-up notices and flushes; and what a
// handler may leave for after its response (a call answered 202, run on this thread).
class ServedConnection final : public transport::ConnectionHooks {
 public:
  // `hand_over` gives the connection to another thread, which serves it from its next request
  // on; false when none can take it.
  ServedConnection(HangupWatch& watch, ConnectionStream& stream,
                   std::function<bool()> hand_over) noexcept
      : watch_(watch), stream_(stream), hand_over_(std::move(hand_over)) {}
  std::shared_ptr<void> watch_hangup(std::function<void()> on_hangup) override {
    return watch_.watch(stream_.socket(), std::move(on_hangup));
  }
  bool flush() override { return stream_.flush(); }
  SendNow flush_now() override {
    std::size_t left = 0;
    if (!stream_.flush_now(left)) return SendNow::gone;
    return left == 0 ? SendNow::sent : SendNow::partial;
  }
  bool after_response(std::function<void()> work) override {
    // Bytes of a next request already read could not move with the connection (see below).
    if (after_response_ || stream_.has_input()) return false;
    after_response_ = std::move(work);
    return true;
  }

  enum class After {
    stays,  // this thread goes on serving the connection
    moved,  // another thread serves it now: this one must not touch it again
  };
  // What a handler left for after its response (after_response()), run now. The connection is
  // not left waiting meanwhile: should the client send its next request (or close) before the
  // work is done, another thread takes the connection, and this one only finishes the work.
  After run_after_response() noexcept {
    if (!after_response_) return After::stays;
    auto work = std::move(after_response_);
    after_response_ = nullptr;
    bool moved = false;  // written by the watch's callback, read once the watch is released
    std::shared_ptr<void> watch;
    try {
      watch = watch_.watch_input(stream_.socket(), [this, &moved] { moved = hand_over_(); });
    } catch (const std::exception& e) {
      spdlog::error("watching a connection while a call runs after its response: {}", e.what());
    }
    try {
      // The work belongs to no connection: this one may be served by another thread meanwhile.
      transport::ScopedConnectionHooks detached(nullptr);
      work();
    } catch (const std::exception& e) {
      spdlog::error("work after a response: {}", e.what());
    } catch (...) {
      spdlog::error("work after a response: unknown exception");
    }
    watch.reset();  // no callback runs from here on
    return moved ? After::moved : After::stays;
  }

 private:
  HangupWatch& watch_;
  ConnectionStream& stream_;
  std::function<bool()> hand_over_;
  std::function<void()> after_response_;
};

// httplib's Server with a real listen backlog (httplib's is CPPHTTPLIB_LISTEN_BACKLOG, 5, fixed
// at compile time), serving each connection through mcpgate's own loop and ConnectionStream, so
// that request heads have a deadline and byte budgets, open connections are known by descriptor,
// and every request passes admission before httplib routes it.
//
// Of httplib's internals it uses only what no public call offers, serving a connection: it
// overrides process_and_close_socket() (the hook httplib calls for each accepted connection, in
// every version) and calls the protected process_request() (whose form differs: serve_request).
// The listening socket comes from the public socket-options callback, and whether the server
// is stopping from HttpServer's own flag.
class HttpServer::Listener : public httplib::Server {
 public:
  Listener(const HttpOptions& options, const RequestFilter& filter, OpenConnections& open,
           HangupWatch& hangups, std::shared_ptr<WorkerPool> connections,
           std::atomic<std::uint64_t>& moved, const std::atomic<bool>& stopping)
      : options_(options), filter_(filter), open_(open), hangups_(hangups),
        connections_(std::move(connections)), moved_(moved), stopping_(stopping) {
    // httplib calls this on the socket it is about to bind and listen on (and on nothing else):
    // SO_REUSEADDR without httplib's default SO_REUSEPORT, and the socket kept for relisten().
    set_socket_options([this](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listening_ = sock;
    });
  }

  // After a successful bind: listen(2) again on the bound socket, with a larger backlog.
  bool relisten(int backlog) { return listening_ >= 0 && ::listen(listening_, backlog) == 0; }

 private:
  // Serves one request from `stream` with httplib's parsing and routing. 0.11's process_request
  // takes (stream, close_connection, connection_closed, setup_request) and asks the stream for
  // the peer's address; 0.18 and later take the remote and local address and port after the
  // stream (and an optional WebSocket flag last). A template, so that only the form the
  // included httplib.h declares is compiled.
  template <class S>
  bool serve_request(S& stream, bool close_connection, bool& connection_closed,
                     const std::function<void(httplib::Request&)>& setup) {
    if constexpr (requires { this->process_request(stream, close_connection, connection_closed, setup); }) {
      return this->process_request(stream, close_connection, connection_closed, setup);
    } else {
      std::string remote_ip, local_ip;
      int remote_port = 0, local_port = 0;
      stream.get_remote_ip_and_port(remote_ip, remote_port);
      stream.get_local_ip_and_port(local_ip, local_port);
      return this->process_request(stream, remote_ip, remote_port, local_ip, local_port,
                                   close_connection, connection_closed, setup);
    }
  }

  // httplib's keep-alive protocol, as its own loop runs it: up to keep_alive_requests requests,
  // each after at most keep_alive_timeout of silence, until a request asks to close or the
  // server stops.
  bool process_and_close_socket(socket_t sock) override {
    int yes = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    open_.add(sock);
    return serve(sock);
  }

  // Serves `sock` until it closes (and closes it), or until another thread takes it over while
  // this one runs a call after a response (ServedConnection::run_after_response).
  bool serve(socket_t sock) {
    ConnectionStream stream(sock, StreamTimeouts{options_.read_timeout, options_.write_timeout},
                            options_.head_limits);
    ServedConnection served(hangups_, stream, [this, sock] {
      if (!connections_->try_submit([this, sock] { serve(sock); })) return false;
      moved_.fetch_add(1, std::memory_order_relaxed);
      return true;
    });
    transport::ScopedConnectionHooks serving(&served);
    Admission admission;
    ScopedAdmission admitting(admission);
    bool ok = false;
    for (std::size_t left = options_.keep_alive_requests;
         left > 0 && !stopping_.load(std::memory_order_relaxed); --left) {
      if (!stream.wait_for_request(options_.keep_alive_timeout)) break;
      stream.set_deadline(ConnectionStream::Clock::now() + options_.header_timeout);
      stream.begin_head();
      admission = Admission{};
      bool closed = false;
      ok = serve_request(stream, left == 1, closed,
                         [&](httplib::Request& req) { admit(stream, req, admission); });
      if (const auto& refusal = stream.head_refusal()) {
        log_refusal(stream, *refusal);
        stream.send_refusal(*refusal);
        break;
      }
      // The response was gathered: send it (headers and a short body in one send).
      if (!stream.flush()) ok = false;
      // Then what its handler left for after it (a call answered 202), sent or not: the call
      // was accepted, and its answer goes to its session's stream.
      if (served.run_after_response() == ServedConnection::After::moved) return ok;
      if (stream.deadline_expired()) {
        std::string ip;
        int port = 0;
        stream.get_remote_ip_and_port(ip, port);
        spdlog::info("closed the connection from {}:{}: its request headers took longer than {} ms",
                     ip, port, options_.header_timeout.count());
        break;
      }
      // A request httplib answered without admission (a malformed request line, a bad Range)
      // may have left a body unread: its bytes must not be taken for the next request.
      if (!admission.admitted || admission.close || !ok || closed || stream.read_failed()) break;
    }
    open_.remove(sock);
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  static void log_refusal(ConnectionStream& stream, const Refusal& refusal) {
    std::string ip;
    int port = 0;
    stream.get_remote_ip_and_port(ip, port);
    spdlog::info("refused a request from {}:{} ({}): {}", ip, port, refusal.status, refusal.message);
  }

  // Runs between a request's head and its routing (httplib's setup hook): the head is parsed
  // again from its raw bytes, then the checks that need no body (overflow, Host/Origin, token,
  // the body's size and encoding), and only then is the body read, within its budget. A refused
  // request is answered by the pre-routing handler; when its body was left unread the connection
  // closes after the answer, since those bytes would otherwise be read as the next request.
  void admit(ConnectionStream& stream, httplib::Request& req, Admission& admission) {
    stream.clear_deadline();
    admission.admitted = true;
    // However admission ends, httplib must find no body left to read: it was read below, or the
    // request is answered here and its connection closes. (A request with no length would
    // otherwise be read until the client closes, and current httplib releases drain an unread
    // body after the response, waiting for bytes a refused client never sends.)
    struct BodyTaken {
      httplib::Request& req;
      ~BodyTaken() {
        req.headers.erase("Transfer-Encoding");
        req.headers.erase("Content-Encoding");
        req.headers.erase("Content-Length");
        req.headers.emplace("Content-Length", "0");
      }
    } body_taken{req};
    BodyFraming framing;
    httplib::Headers headers;
    const auto refuse = [&](const Refusal& refusal) {
      log_refusal(stream, refusal);
      set_refusal(admission.response, refusal);
      admission.answered = true;
      admission.close = true;
    };
    if (auto refusal = parse_request_head(stream.end_head(), req.version, headers, framing))
      return refuse(*refusal);
    req.headers = std::move(headers);
    // Compression is decided by response_compression.hpp, not by httplib (which compresses any
    // text or JSON body, however small): httplib sees no Accept-Encoding.
    admission.accepts_gzip = accepts_gzip(req.get_header_value("Accept-Encoding"));
    req.headers.erase("Accept-Encoding");
    // httplib would answer "100 Continue" to any request that asks, before any check: the
    // expectation is taken off the request and met below, once the body is known to be wanted.
    const std::string expect = req.get_header_value("Expect");
    req.headers.erase("Expect");

    auto& res = admission.response;
    if (serving_overflow) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content(R"({"error":"too many connections; try again shortly"})", "application/json");
      admission.answered = true;
      admission.close = true;
      return;
    }
    if (filter_ && filter_(req, res)) {
      admission.answered = true;
      admission.close = framing.has_body();
      return;
    }

    if (!expect.empty() && !util::iequals(expect, "100-continue"))
      return refuse(Refusal{417, "Expectation Failed: only 100-continue is supported"});
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (auto refusal = check_body(framing, encoding, options_.max_body)) return refuse(*refusal);
    if (framing.has_body() && !expect.empty() && req.version == "HTTP/1.1") {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)stream.write(go_on.data(), go_on.size());
    }
    if (auto refusal = read_request_body(stream, framing, encoding, options_.max_body, req.body))
      return refuse(*refusal);
  }

  const HttpOptions& options_;
  const RequestFilter& filter_;
  OpenConnections& open_;
  HangupWatch& hangups_;
  std::shared_ptr<WorkerPool> connections_;
  std::atomic<std::uint64_t>& moved_;
  const std::atomic<bool>& stopping_;
  socket_t listening_ = INVALID_SOCKET;
};

// Gives each accepted connection a pool thread at once. Past the cap the connection still gets a
// short-lived thread, flagged so that it is answered 503 and closed; if even that is impossible,
// it is served on the accepting thread.
class HttpServer::ConnectionQueue : public httplib::TaskQueue {
 public:
  ConnectionQueue(std::shared_ptr<WorkerPool> pool, std::atomic<std::uint64_t>& rejected)
      : pool_(std::move(pool)), rejected_(rejected) {}

  // Never refuses: past the cap the connection is still taken, to be answered 503.
  httplib_compat::EnqueueResult enqueue(std::function<void()> fn) override {
    if (!pool_->try_submit(fn)) reject(std::move(fn));
    return httplib_compat::enqueued();
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
      listener_(std::make_unique<Listener>(options_, filter_, *open_, *hangups_, connections_,
                                           moved_, stopping_)) {
  auto& svr = *listener_;
  svr.new_task_queue = [this] { return new ConnectionQueue(connections_, rejected_); };
  svr.set_tcp_nodelay(true);
  // Our own connection loop enforces these; httplib only advertises them (Keep-Alive header).
  svr.set_keep_alive_max_count(options_.keep_alive_requests);
  svr.set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count());
  svr.set_payload_max_length(options_.max_body);
  svr.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (current_admission == nullptr) return httplib::Server::HandlerResponse::Unhandled;
    httplib::Response& decided = current_admission->response;
    for (auto& header : decided.headers) res.headers.insert(header);
    if (!current_admission->answered) return httplib::Server::HandlerResponse::Unhandled;
    res.status = decided.status;
    res.body = std::move(decided.body);
    if (current_admission->close) res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Runs once a response is complete (status, headers, body), just before it is written.
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (current_admission != nullptr && current_admission->accepts_gzip) compress_if_it_pays(res);
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
