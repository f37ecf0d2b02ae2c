// Archon's structured error envelope (MCPErrorFormatter), used by every tool except the rag_*
// ones:
//   {"success": false, "error": {"type", "message", "details"?, "suggestion"?, "http_status"?}}
// Optional keys appear only when they carry something (non-empty details/suggestion, non-zero
// status), exactly as Archon's formatter drops falsy values.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::tools::archon::errors {

using json = nlohmann::json;

[[nodiscard]] json format_error(std::string_view type, std::string_view message,
                                const json& details = nullptr, std::string_view suggestion = {},
                                int http_status = 0);

// Archon's per-status hint (400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504); none for
// other codes.
[[nodiscard]] std::optional<std::string> suggestion_for_status(int status);

// A non-2xx answer. `api_error` when the body is a JSON object whose detail.error, error,
// message or detail (first truthy one, with `detail` required to be absent or an object) gives a
// message; otherwise `http_error` with the first 500 characters of the body. Both carry
// http_status and the status suggestion. `operation` reads like "get project".
[[nodiscard]] json from_http_error(const backend::Response& response, std::string_view operation);

// A request that never got an HTTP answer: connection_timeout, read_timeout, connection_error
// or request_error, each with Archon's suggestion. An empty exception text is replaced by a
// sentence naming the limit that was hit (taken from `timeouts`). `context` (when not null)
// goes to details.context.
[[nodiscard]] json from_transport(const backend::TransportError& error, std::string_view operation,
                                  const backend::Timeouts& timeouts, const json& context = nullptr);

// What a transport failure says when its exception text is empty (e.g. "the Archon API did not
// answer within 20 s"). Also used by the rag_* tools' flat errors.
[[nodiscard]] std::string describe_transport(const backend::TransportError& error,
                                             const backend::Timeouts& timeouts);

// httpx's class name for the failure kind, kept for Archon's details.exception_type.
[[nodiscard]] std::string_view exception_type(backend::TransportError::Kind kind);

[[nodiscard]] json validation_error(std::string_view message, std::string_view suggestion = {});
[[nodiscard]] json not_found(std::string_view message, std::string_view suggestion);
[[nodiscard]] json invalid_action(std::string_view message, std::string_view suggestion = {});
// A 2xx answer whose body is not what the endpoint documents (not JSON, or the wrong shape).
[[nodiscard]] json invalid_response(std::string_view message, const json& details = nullptr,
                                    int http_status = 0);
// Anything unexpected inside the tool itself.
[[nodiscard]] json unknown_error(std::string_view operation, std::string_view what);

}  // namespace mcpgate::tools::archon::errors
