// The requests a session is executing: so that notifications/cancelled and the end of the
// session reach them (their Cancellation fires, and with it their backend calls end), and so
// that one session cannot run more than its share at once. Each id is kept while its request
// runs, so ids are bounded in length and in number.
#pragma once

#include "mcpgate/util/cancellation.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace mcpgate::protocol {

using CancelFlag = std::shared_ptr<util::Cancellation>;

class InFlightRequests {
 public:
  // Requests one session may run at once (--max-inflight).
  static constexpr std::size_t default_capacity = 64;
  // The longest id kept, as JSON text: a UUID string takes 38 bytes.
  static constexpr std::size_t max_id_bytes = 256;

  explicit InFlightRequests(std::size_t capacity = default_capacity) : capacity_(capacity) {}

  enum class Refusal {
    full,          // `capacity` requests already run
    duplicate_id,  // a request with this id runs: a cancellation could not tell them apart
    id_too_long,   // longer than max_id_bytes
  };
  // Register a request; its Cancellation fires on cancel(id) or cancel_all(). A request begun
  // after cancel_all() starts cancelled.
  [[nodiscard]] std::variant<CancelFlag, Refusal> begin(const nlohmann::json& id);
  void end(const nlohmann::json& id);
  // Returns false for an unknown or finished id (which the spec says to ignore).
  bool cancel(const nlohmann::json& id);
  // Cancel every request, and every one begun later (the session has ended).
  void cancel_all();
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Requests refused because the table was full, since the session began.
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_.load(); }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, CancelFlag> requests_;  // key: the id's JSON text
  bool closed_ = false;                                   // cancel_all() was called
  std::atomic<std::uint64_t> refused_{0};
};

// The JSON-RPC error a refused request is answered with (Refusal::full: "Too many requests in
// flight", code too_many_requests).
// The refusal's name in metrics: "inflight_cap", "duplicate_id" or "id_too_long".
[[nodiscard]] std::string_view refusal_reason(InFlightRequests::Refusal refusal) noexcept;

[[nodiscard]] nlohmann::json refusal_error(const nlohmann::json& id,
                                           InFlightRequests::Refusal refusal,
                                           std::size_t capacity);

}  // namespace mcpgate::protocol
