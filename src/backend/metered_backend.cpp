#include "mcpgate/backend/metered_backend.hpp"

#include <string>

namespace mcpgate::backend {

namespace {

const char* kind_name(TransportError::Kind kind) {
  switch (kind) {
    case TransportError::Kind::connect_timeout: return "connect_timeout";
    case TransportError::Kind::read_timeout: return "read_timeout";
    case TransportError::Kind::connection_error: return "connection_error";
    case TransportError::Kind::request_error: return "request_error";
  }
  return "request_error";
}

}  // namespace

MeteredBackend::MeteredBackend(std::shared_ptr<Backend> inner, Record record)
    : inner_(std::move(inner)), record_(std::move(record)) {}

Response MeteredBackend::request(std::string_view method, std::string_view path,
                                 const Query& query, const json& body,
                                 const std::optional<Timeouts>& timeouts) {
  const auto started = std::chrono::steady_clock::now();
  try {
    Response response = inner_->request(method, path, query, body, timeouts);
    const int status_class = response.status / 100;
    const std::string outcome =
        status_class >= 1 && status_class <= 5 ? std::to_string(status_class) + "xx" : "other";
    record_(outcome, std::chrono::steady_clock::now() - started);
    return response;
  } catch (const TransportError& e) {
    record_(kind_name(e.kind()), std::chrono::steady_clock::now() - started);
    throw;
  }
}

}  // namespace mcpgate::backend
