#include "mcpgate/backend/http_backend.hpp"

#include "backend_url.hpp"

#include "mcpgate/util/cancellation.hpp"
#include "mcpgate/util/compact_json.hpp"
#include "mcpgate/util/json_cost.hpp"
#include "mcpgate/util/json_nesting.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION "dev"
#endif

namespace mcpgate::backend {

// Outside the anonymous namespace: HttpBackend::Impl holds these handles, and a class with
// external linkage must not have members of an internal-linkage type.
namespace curl_handle {
struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
}  // namespace curl_handle
using EasyHandle = std::unique_ptr<CURL, curl_handle::EasyDeleter>;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// What one transfer observes, shared with libcurl's callbacks (all on the calling thread).
struct Transfer {
  std::string body;
  std::size_t max_body = 0;
  bool too_large = false;
  const std::atomic<bool>* cancelled = nullptr;  // the backend's cancel_all() flag
  const util::Cancellation* call = nullptr;      // this call's own cancellation; may be null

  bool connected = false;             // the connection was established or reused
  milliseconds read_limit{0};         // <= 0: no silence limit
  Clock::time_point last_activity{};  // last byte either way, or the moment of connection
  curl_off_t last_uploaded = 0;
  bool silence_exceeded = false;

  void activity() { last_activity = Clock::now(); }
};

int on_prereq(void* clientp, char*, char*, int, int) {
  auto* t = static_cast<Transfer*>(clientp);
  t->connected = true;
  t->activity();
  return CURL_PREREQFUNC_OK;
}

size_t on_header(char*, size_t size, size_t count, void* userdata) {
  static_cast<Transfer*>(userdata)->activity();
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const std::size_t n = size * count;
  t->activity();
  if (t->body.size() + n > t->max_body) {
    t->too_large = true;
    try {  // what fits: the answer's start, for error messages
      t->body.append(data, std::min(n, t->max_body - t->body.size()));
    } catch (...) {
    }
    return 0;  // CURLE_WRITE_ERROR
  }
  try {
    t->body.append(data, n);
  } catch (...) {
    t->too_large = true;
    return 0;
  }
  return n;
}

int on_progress(void* clientp, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(clientp);
  if (t->cancelled && t->cancelled->load()) return 1;  // CURLE_ABORTED_BY_CALLBACK
  if (t->call && t->call->cancelled()) return 1;
  if (ulnow != t->last_uploaded) {
    t->last_uploaded = ulnow;
    t->activity();
  }
  if (t->connected && t->read_limit.count() > 0 &&
      Clock::now() - t->last_activity >= t->read_limit) {
    t->silence_exceeded = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

std::string os_error_text(long os_errno) {
  if (os_errno == 0) return {};
  return std::error_code(static_cast<int>(os_errno), std::generic_category()).message();
}

template <typename T>
void setopt(CURL* handle, CURLoption option, T value) {
  // Options set here are all supported by libcurl >= 7.80; a failure is a programming error
  // (or an unsupported build) and surfaces as request_error.
  const CURLcode rc = curl_easy_setopt(handle, option, value);
  if (rc != CURLE_OK) {
    throw TransportError(TransportError::Kind::request_error,
                         std::string("cannot configure the request: ") + curl_easy_strerror(rc));
  }
}

// The answer to a call whose body passed `limit` bytes (the transfer was stopped there): its
// status and the first KiB of its body, for error messages; the rest is given back at once.
Response too_large_answer(CURL* handle, std::string body, const std::string& what,
                          std::size_t limit) {
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  spdlog::warn("backend {}: HTTP {} answer larger than {} bytes; cut off", what, status, limit);
  Response response;
  response.status = static_cast<int>(status);
  body.resize(std::min<std::size_t>(body.size(), 1024));
  body.shrink_to_fit();
  response.body = std::move(body);
  response.body_too_large = true;
  return response;
}

}  // namespace

struct HttpBackend::Impl {
  std::string base;  // "http://host:port"
  HttpBackendOptions options;

  // Every socket libcurl has open for this backend (in a call, or kept alive in the pool), so
  // that cancel_all() can shut them down. Declared before `idle`: closing a pooled handle's
  // connection reports back here.
  std::atomic<bool> cancelled{false};
  std::mutex sockets_mutex;
  std::unordered_set<curl_socket_t> sockets;  // guarded by sockets_mutex

  // The sockets of one handle's connection (libcurl reports a connection's close to the
  // callbacks and data it was opened with, even after the handle is reset): what one call
  // shuts down when it alone is cancelled, while the handle is lent to it.
  struct HandleSockets {
    Impl* impl;
    std::vector<curl_socket_t> fds;  // guarded by impl->sockets_mutex
  };
  struct Pooled {
    std::unique_ptr<HandleSockets> sockets;  // declared first: outlives the handle's connection
    EasyHandle handle;
  };

  static curl_socket_t open_socket(void* clientp, curlsocktype, curl_sockaddr* address) {
    auto* owner = static_cast<HandleSockets*>(clientp);
    Impl* self = owner->impl;
    if (self->cancelled.load()) return CURL_SOCKET_BAD;
    // Called on the calling thread: a call cancelled while it connects opens nothing more.
    if (const auto* call = util::CancellationScope::current(); call && call->cancelled())
      return CURL_SOCKET_BAD;
    const curl_socket_t fd =
        ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd == CURL_SOCKET_BAD) return fd;
    try {
      std::lock_guard lock(self->sockets_mutex);
      self->sockets.insert(fd);
      owner->fds.push_back(fd);
    } catch (...) {
      std::lock_guard lock(self->sockets_mutex);
      self->sockets.erase(fd);
      ::close(fd);
      return CURL_SOCKET_BAD;
    }
    return fd;
  }

  static int close_socket(void* clientp, curl_socket_t fd) {
    auto* owner = static_cast<HandleSockets*>(clientp);
    Impl* self = owner->impl;
    {
      // Under the lock: cancel_all() and shut_down() never act on a number the kernel may
      // have reused.
      std::lock_guard lock(self->sockets_mutex);
      self->sockets.erase(fd);
      std::erase(owner->fds, fd);
      ::close(fd);
    }
    return 0;
  }

  void cancel_all() {
    cancelled = true;
    std::lock_guard lock(sockets_mutex);
    // shutdown(2) wakes a libcurl waiting on the socket; the descriptor stays open until
    // libcurl closes it through close_socket.
    for (const curl_socket_t fd : sockets) ::shutdown(fd, SHUT_RDWR);
  }

  // One call cancelled: the connection of the handle lent to it, and only that one.
  void shut_down(const HandleSockets& owner) {
    std::lock_guard lock(sockets_mutex);
    for (const curl_socket_t fd : owner.fds) ::shutdown(fd, SHUT_RDWR);
  }

  mutable std::mutex pool_mutex;
  std::vector<Pooled> idle;  // guarded by pool_mutex; back() is the most recently used

  Pooled borrow() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        Pooled pooled = std::move(idle.back());
        idle.pop_back();
        return pooled;
      }
    }
    Pooled pooled{std::make_unique<HandleSockets>(HandleSockets{this, {}}),
                  EasyHandle(curl_easy_init())};
    if (!pooled.handle) {
      throw TransportError(TransportError::Kind::request_error,
                           "cannot create a libcurl handle (out of memory?)");
    }
    return pooled;
  }

  void give_back(Pooled pooled) noexcept {
    // Forget this call's options (they point into its stack frame); the connection stays.
    curl_easy_reset(pooled.handle.get());
    try {
      std::lock_guard lock(pool_mutex);
      if (idle.size() < options.max_idle_connections) {
        idle.push_back(std::move(pooled));
        return;
      }
    } catch (...) {  // no memory for the pool: close the handle instead
    }
    // Pool full: the handle (and its connection) is closed here, outside the lock.
  }

  // Returns the handle to the pool however the call ends.
  class Lease {
   public:
    explicit Lease(Impl& impl) : impl_(impl), pooled_(impl.borrow()) {}
    ~Lease() { impl_.give_back(std::move(pooled_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    [[nodiscard]] CURL* get() const noexcept { return pooled_.handle.get(); }
    [[nodiscard]] HandleSockets& sockets() const noexcept { return *pooled_.sockets; }

   private:
    Impl& impl_;
    Pooled pooled_;
  };
};

HttpBackend::HttpBackend(std::string_view base_url, Timeouts timeouts)
    : HttpBackend(base_url, HttpBackendOptions{timeouts}) {}

HttpBackend::HttpBackend(std::string_view base_url, HttpBackendOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->base = url::normalise_base_url(base_url);
  impl_->options = std::move(options);
  if (impl_->options.max_response_bytes == 0 || impl_->options.max_parse_bytes == 0) {
    throw std::invalid_argument("HttpBackend: max_response_bytes and max_parse_bytes must be positive");
  }
}

HttpBackend::~HttpBackend() = default;

std::string HttpBackend::describe() const { return impl_->base; }

void HttpBackend::cancel_all() { impl_->cancel_all(); }

std::size_t HttpBackend::idle_connections() const {
  std::lock_guard lock(impl_->pool_mutex);
  return impl_->idle.size();
}

Response HttpBackend::request(std::string_view method_in, std::string_view path,
                              const Query& query, const json& body,
                              const std::optional<Timeouts>& timeouts_in) {
  const std::string method = url::checked_method(method_in);
  url::check_path(method, path);
  const Timeouts limits = timeouts_in.value_or(impl_->options.timeouts);
  // For messages: method and path, never host, query or credentials.
  const std::string what = method + " " + std::string(path);
  if (impl_->cancelled.load())
    throw TransportError(TransportError::Kind::connection_error,
                         what + ": cancelled: the server is shutting down");
  // The request this call works for (its session may end, its client may cancel it).
  util::Cancellation* call = util::CancellationScope::current();
  if (call && call->cancelled())
    throw TransportError(TransportError::Kind::connection_error,
                         what + ": cancelled: the request was cancelled");

  std::string target = impl_->base + url::escape_path(path);
  for (std::size_t i = 0; i < query.size(); ++i) {
    target += i == 0 ? '?' : '&';
    url::append_query_part(target, query[i].first);
    target += '=';
    url::append_query_part(target, query[i].second);
  }

  const bool has_body = !body.is_null();
  std::string payload;
  if (has_body) payload = util::compact_json(body);

  curl_slist* raw_headers = nullptr;
  auto add_header = [&](const char* line) {
    curl_slist* next = curl_slist_append(raw_headers, line);
    if (!next) {
      curl_slist_free_all(raw_headers);
      throw std::bad_alloc();
    }
    raw_headers = next;
  };
  add_header("Accept: application/json");
  add_header(has_body ? "Content-Type: application/json" : "Content-Type:");
  add_header("Expect:");  // no 100-continue round trip for larger bodies
  const Slist headers(raw_headers);

  Transfer transfer;
  transfer.max_body = impl_->options.max_response_bytes;
  transfer.cancelled = &impl_->cancelled;
  transfer.call = call;
  transfer.read_limit = limits.read;

  // Declared before the lease: the handle may reference these until it is back in the pool.
  char error_buffer[CURL_ERROR_SIZE] = {};
  Impl::Lease lease(*impl_);
  CURL* h = lease.get();  // fresh or reset: no options set, its connection kept

  setopt(h, CURLOPT_URL, target.c_str());
  setopt(h, CURLOPT_NOSIGNAL, 1L);
  setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  setopt(h, CURLOPT_MAXCONNECTS, 1L);  // each handle keeps (at most) its one connection
  setopt(h, CURLOPT_TCP_NODELAY, 1L);
  setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  setopt(h, CURLOPT_USERAGENT, "mcpgate/" MCPGATE_VERSION);
  setopt(h, CURLOPT_HTTPHEADER, headers.get());
  setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  if (!impl_->options.use_env_proxy) setopt(h, CURLOPT_PROXY, "");
  if (limits.connect.count() > 0) {
    setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect.count()));
  }
  if (limits.total.count() > 0) {
    setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total.count()));
  }

  if (method == "HEAD") {
    setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body || method == "POST" || method == "PUT" || method == "PATCH") {
    // A body (possibly empty, so that Content-Length: 0 is sent) with the given method.
    setopt(h, CURLOPT_POST, 1L);
    setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
    if (method != "POST") setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else {
    setopt(h, CURLOPT_HTTPGET, 1L);
    if (method != "GET") setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  setopt(h, CURLOPT_PREREQFUNCTION, &on_prereq);
  setopt(h, CURLOPT_PREREQDATA, static_cast<void*>(&transfer));
  setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  setopt(h, CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  setopt(h, CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  setopt(h, CURLOPT_XFERINFODATA, static_cast<void*>(&transfer));
  setopt(h, CURLOPT_NOPROGRESS, 0L);
  setopt(h, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket);
  setopt(h, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&lease.sockets()));
  setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &Impl::close_socket);
  setopt(h, CURLOPT_CLOSESOCKETDATA, static_cast<void*>(&lease.sockets()));
  // Cancelled while it waits: its connection is shut down under it, so it ends now rather than
  // at the next progress check. Released before the lease gives the handle back.
  util::Cancellation::Hook on_cancel;
  if (call)
    on_cancel = call->on_cancel(
        [impl = impl_.get(), &owner = lease.sockets()] { impl->shut_down(owner); });

  const auto started = Clock::now();
  transfer.activity();
  const CURLcode rc = curl_easy_perform(h);
  const auto elapsed_ms =
      std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();

  if (rc != CURLE_OK) {
    using Kind = TransportError::Kind;
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    const std::string os_text = os_error_text(os_errno);
    const std::string because = os_text.empty() ? std::string(curl_easy_strerror(rc)) : os_text;
    Kind kind = Kind::request_error;
    std::string message;
    if (impl_->cancelled.load()) {
      kind = Kind::connection_error;
      message = "cancelled: the server is shutting down";
    } else if (call && call->cancelled()) {
      kind = Kind::connection_error;
      message = "cancelled: the request was cancelled";
    } else if (rc == CURLE_OPERATION_TIMEDOUT && !transfer.connected) {
      kind = Kind::connect_timeout;
      auto limit = limits.connect;
      if (limits.total.count() > 0 && (limit.count() <= 0 || limits.total < limit)) {
        limit = limits.total;
      }
      message = "no connection to the backend within " + std::to_string(limit.count()) + " ms";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      kind = Kind::read_timeout;
      message = "the backend did not answer within the " +
                std::to_string(limits.total.count()) + " ms request timeout";
    } else if (rc == CURLE_ABORTED_BY_CALLBACK && transfer.silence_exceeded) {
      kind = Kind::read_timeout;
      message = "the backend sent nothing for " + std::to_string(limits.read.count()) +
                " ms (read timeout)";
    } else if (rc == CURLE_COULDNT_CONNECT) {
      kind = Kind::connection_error;
      message = "cannot connect to the backend (" + because + ")";
    } else if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
      kind = Kind::connection_error;
      message = std::string("cannot resolve the backend's ") +
                (rc == CURLE_COULDNT_RESOLVE_PROXY ? "proxy" : "host") + " name";
    } else if (rc == CURLE_GOT_NOTHING) {
      kind = Kind::connection_error;
      message = "the backend closed the connection without answering";
    } else if (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR) {
      kind = Kind::connection_error;
      message = std::string("connection to the backend lost while ") +
                (rc == CURLE_SEND_ERROR ? "sending the request" : "reading the answer") + " (" +
                because + ")";
    } else if (rc == CURLE_WRITE_ERROR && transfer.too_large) {
      return too_large_answer(h, std::move(transfer.body), what, impl_->options.max_response_bytes);
    } else {
      message = "request failed: " + std::string(curl_easy_strerror(rc));
    }
    spdlog::debug("backend {}: {} after {} ms (curl: {})", what, message, elapsed_ms,
                  error_buffer[0] ? error_buffer : curl_easy_strerror(rc));
    throw TransportError(kind, what + ": " + message);
  }

  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  Response response;
  response.status = static_cast<int>(status);
  response.body = std::move(transfer.body);
  if (!response.body.empty()) {
    if (!util::json_nesting_within(response.body)) {
      response.body_too_deep = true;
      spdlog::warn("backend {}: the answer nests deeper than {} levels; it is not parsed", what,
                   util::max_json_nesting);
    } else if (!util::json_parse_cost_within(response.body, impl_->options.max_parse_bytes)) {
      response.body_too_costly = true;
      spdlog::warn("backend {}: parsing the {}-byte answer would take more than {} bytes; it "
                   "is not parsed", what, response.body.size(), impl_->options.max_parse_bytes);
    } else {
      json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) response.body_json = std::move(parsed);
    }
  }
  spdlog::debug("backend {} -> {} in {} ms", what, response.status, elapsed_ms);
  return response;
}

}  // namespace mcpgate::backend
