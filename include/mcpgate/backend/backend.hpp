// The REST API behind Archon's tools, as one call: request(method, path, query, body).
// HttpBackend forwards it to an Archon-compatible server with libcurl; EmbeddedBackend answers
// the same routes from SQLite in-process. Tools see only this interface.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpgate::backend {

using json = nlohmann::json;

// Query parameters in order; values are raw (the backend escapes them).
using Query = std::vector<std::pair<std::string, std::string>>;

struct Timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds read{20000};     // longest silence while waiting for the answer
  std::chrono::milliseconds total{30000};    // the whole request
};

struct Response {
  int status = 0;
  std::string body;                 // raw body text
  std::optional<json> body_json;    // set when the body parses as JSON
  bool body_too_deep = false;       // JSON left unparsed: nested deeper than max_json_nesting
  bool body_too_large = false;      // over the backend's byte cap: `body` is only its start
  bool body_too_costly = false;     // JSON left unparsed: its parse would pass the memory cap
  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
};

// The request never got an HTTP answer.
class TransportError : public std::runtime_error {
 public:
  enum class Kind {
    connect_timeout,   // no connection within Timeouts::connect
    read_timeout,      // connected, but the answer did not come in time
    connection_error,  // refused, unreachable, reset, DNS failure
    request_error,     // anything else on the way (bad URL, TLS, protocol)
  };
  TransportError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Safe to call from many threads at once. Throws TransportError when no HTTP answer came.
  // `body` null means no body. `timeouts` overrides the backend's defaults for this call.
  virtual Response request(std::string_view method, std::string_view path, const Query& query,
                           const json& body, const std::optional<Timeouts>& timeouts) = 0;

  // Where requests go, for logs and health reports (never contains credentials).
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace mcpgate::backend
