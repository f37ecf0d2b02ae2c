// What both HTTP transports share: their dependencies, and the small HTTP helpers for headers
// and JSON error bodies.
#pragma once

#include "mcpgate/init_gate.hpp"
#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/transport/event_stream.hpp"
#include "mcpgate/transport/request_runner.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::transport {

struct TransportOptions {
  bool json_response = false;
  std::chrono::milliseconds heartbeat{15000};
  long sse_retry_ms = 3000;
  std::size_t max_parse_bytes = jsonrpc::default_max_parse_bytes;  // one message, parsed
  // The modern era's response streams (they belong to no session's StreamSet).
  std::size_t max_stream_bytes = default_max_stream_bytes;
  std::shared_ptr<EventCounters> counters;  // may be null
};

struct TransportDeps {
  sessions::SessionRegistry& sessions;
  InitGate<SharedContext>& context_gate;
  const RequestRunner& runner;
  TransportOptions options;
};

namespace http {

// A JSON-RPC error as an HTTP response body (no id: it belongs to no request).
void send_error(httplib::Response& res, int status, int code, std::string_view message,
                const nlohmann::json& id = nullptr);

// A POST body as JSON-RPC, checked for what makes it unusable before any session is looked up
// (so a client is told the real problem, with or without a session id): a Content-Type other
// than application/json 415, not JSON 400/-32700, too costly to parse 413/-32700,
// an empty batch 400/-32600, a lone message that is not valid JSON-RPC 400/-32600 with its id
// when that could be read. nullopt when that answer is already in `res`. Invalid members of a
// batch are left for the runner, which answers each in the batch's response.
[[nodiscard]] std::optional<jsonrpc::Parsed> parse_body(const TransportOptions& options,
                                                        const httplib::Request& req,
                                                        httplib::Response& res);

// The id to echo in an error about the whole POST: a lone request's id, else null.
[[nodiscard]] nlohmann::json reply_id(const jsonrpc::Parsed& parsed);

// 503 with Retry-After when the shared context cannot be had.
void send_init_error(httplib::Response& res, const InitError& error);

// A new session with the shared context, bound to the subject of `req`'s access token (see
// request_access.hpp); on failure (initialisation failed or timed out, the session cap reached)
// the 503 is already in `res` and the result is null.
[[nodiscard]] std::shared_ptr<sessions::Session> open_session(const TransportDeps& deps,
                                                              sessions::Transport transport,
                                                              const httplib::Request& req,
                                                              httplib::Response& res,
                                                              const nlohmann::json& id = nullptr);

// Whether `req` may use `session`: true when its credentials belong to the session's subject (or
// the server checks none), and the session then takes the request's access (its token's scopes
// may have grown since). False for another subject's token: the caller answers 404, as for an
// unknown id, so that a session id reveals nothing to another user.
[[nodiscard]] bool admit_to_session(sessions::Session& session, const httplib::Request& req);

// The value of a header, or null when the request has none (one lookup, no copy). Of a field
// sent on several lines, one of them: the first on httplib 0.11 (its Headers keep equal names in
// order), any on current releases (they hash them); fields that must not repeat are counted.
[[nodiscard]] const std::string* header(const httplib::Request& req, const std::string& name);

// Whether an Accept header admits `media_type` (missing header and */* admit everything).
[[nodiscard]] bool accepts(const httplib::Request& req, std::string_view media_type);

// Content-Type is application/json (parameters allowed).
[[nodiscard]] bool is_json_body(const httplib::Request& req);

// Standard headers of every SSE response.
void set_sse_headers(httplib::Response& res);

}  // namespace http
}  // namespace mcpgate::transport
