// HttpBackend: the Backend interface over HTTP/1.1 to an Archon-compatible REST server, with
// libcurl.
//
//   mcpgate::backend::CurlGlobal curl;  // owned by the composition root, see curl_global.hpp
//   mcpgate::backend::HttpBackend api("http://archon-server:8181");
//   auto r = api.request("GET", "/api/tasks", {{"q", "fix login"}, {"page", "1"}}, nullptr, {});
//   if (r.ok() && r.body_json) use(*r.body_json);
//
// URLs. The base URL is `http://host:port` (or https). As with Archon's urljoin(base, "/api/..."),
// a path on the base URL is ignored: every request path is absolute. A base URL with credentials,
// a query or a fragment, an unknown scheme or a bad port is refused with std::invalid_argument.
// The request `path` is given unescaped; bytes that cannot appear in a URL path (space, non-ASCII,
// '?', '#', controls, ...) are percent-encoded, while existing %XX escapes are kept, so a tool
// may pre-encode a '/' inside an id as %2F. Query keys and values are raw and always escaped
// (everything but A-Z a-z 0-9 - . _ ~, so a space is %20 and '+' is %2B).
//
// Requests. `Accept: application/json` always; a non-null body is sent as compact JSON with
// `Content-Type: application/json` (invalid UTF-8 replaced, never thrown); POST/PUT/PATCH
// without a body send `Content-Length: 0`. Redirects are not followed (as httpx). Proxies come
// from the usual environment variables (http_proxy, no_proxy, ...) unless disabled in Options.
//
// Connections. A bounded pool of libcurl easy handles, each keeping one keep-alive connection:
// a call borrows a handle (most recently used first) and returns it afterwards; the pool's
// mutex is held only for the borrow/return, never during I/O. N concurrent callers therefore use
// at most N connections, and sequential calls reuse one.
//
// Timeouts (per call: the `timeouts` argument, else the constructor's):
//   connect  TCP (and TLS) connection; libcurl's CURLOPT_CONNECTTIMEOUT_MS.
//   read     longest silence once connected (no byte sent or received); checked about once a
//            second, so it ends within [read, read + ~1 s].
//   total    the whole call; CURLOPT_TIMEOUT_MS.
// A value of zero or less disables that limit (connect then falls back to libcurl's 300 s).
//
// Errors. Any HTTP answer, whatever its status, is a Response. Without one, TransportError:
//   connect_timeout   no connection within the connect (or total) limit
//   read_timeout      connected, but no complete answer within the read or total limit
//   connection_error  refused, unreachable, DNS failure, reset, closed without an answer, or
//                     cancelled: by cancel_all(), or by the util::CancellationScope the call
//                     was made in (its request was cancelled, its session ended): its
//                     connection is shut down under it, so it ends at once
//   request_error     anything else (TLS, protocol error, ...)
// Messages read like "GET /api/projects: cannot connect to the backend (Connection refused)":
// method and path only; no host, query or credentials (describe() gives the target for logs).
// A bad method or path (empty, not starting with '/', containing CR/LF/NUL) throws
// std::invalid_argument before anything is sent.
//
// Memory. One answer holds at most max_response_bytes of body: past that the transfer stops and
// the Response carries the status, the body's first KiB and body_too_large. Its JSON is parsed
// only when a SAX pass that allocates nothing per value (util/json_cost.hpp) finds that the
// parsed document takes at most max_parse_bytes; otherwise body_too_costly. Without that pass a
// body of "[{},{},...]" takes 21x its size once parsed (measured), so the byte cap alone would
// not bound the parse.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::backend {

struct HttpBackendOptions {
  Timeouts timeouts{};                               // defaults for calls without their own
  std::size_t max_idle_connections = 32;             // idle handles kept for reuse; more close
  // Archon's largest answers are project lists with every document (its issue #488: 180k
  // tokens, about 0.7 MB) and pages, which its backend cuts at 20,000 characters: 4 MiB is 6x
  // the largest seen, and the size of the largest request body a client may send (--max-body).
  // Larger answers are cut off (Response::body_too_large).
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  // The parsed JSON of one answer: 8x the byte cap, so dense JSON of short fields (a task list
  // takes 5-6x its size parsed) is parsed up to the byte cap, while "[{},{},...]" (21x) is not.
  std::size_t max_parse_bytes = 32 * 1024 * 1024;
  bool use_env_proxy = true;                         // honour http_proxy/no_proxy like httpx
};

class HttpBackend final : public Backend {
 public:
  // Throws std::invalid_argument with a clear message for a bad base URL.
  explicit HttpBackend(std::string_view base_url, Timeouts timeouts = {});
  HttpBackend(std::string_view base_url, HttpBackendOptions options);
  ~HttpBackend() override;

  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  // Thread-safe. See the file comment for escaping, timeouts and errors.
  Response request(std::string_view method, std::string_view path, const Query& query,
                   const json& body, const std::optional<Timeouts>& timeouts) override;

  // The normalised base URL, e.g. "http://archon-server:8181" (port always present).
  [[nodiscard]] std::string describe() const override;

  // Handles (each with at most one connection) waiting in the pool for the next call.
  [[nodiscard]] std::size_t idle_connections() const;

  // For shutdown: every call in flight ends at once (its connection is shut down under it) and
  // every later call fails at once, as connection_error "the server is shutting down".
  // Thread-safe; calls already answered are not affected.
  void cancel_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::backend
