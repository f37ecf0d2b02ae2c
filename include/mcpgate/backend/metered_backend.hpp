// A Backend decorator that reports every request's outcome and duration (for /metrics) and
// otherwise passes everything through unchanged.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

namespace mcpgate::backend {

class MeteredBackend final : public Backend {
 public:
  // outcome: "2xx" … "5xx" for an HTTP answer, or the TransportError kind
  // ("connect_timeout", "read_timeout", "connection_error", "request_error").
  using Record = std::function<void(std::string_view outcome, std::chrono::nanoseconds took)>;

  MeteredBackend(std::shared_ptr<Backend> inner, Record record);

  Response request(std::string_view method, std::string_view path, const Query& query,
                   const json& body, const std::optional<Timeouts>& timeouts) override;
  [[nodiscard]] std::string describe() const override { return inner_->describe(); }

 private:
  std::shared_ptr<Backend> inner_;
  Record record_;
};

}  // namespace mcpgate::backend
