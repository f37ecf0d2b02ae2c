// The HTTP+SSE transport of MCP 2024-11-05, kept for older clients: GET /sse opens the session
// and its only stream, whose first event names the POST endpoint (a relative URL, so it stays
// correct behind a path prefix); POSTs there are answered 202 and their responses arrive on the
// stream. The session ends when the stream closes. A session whose client sends requests without
// ever initializing it (the 1.x TypeScript SDK after it reconnects GET /sse on its own) is
// served as an implicitly initialized 2024-11-05 session with no client capabilities, as the
// reference TypeScript server serves it (protocol::ClientState::initialize_implicitly). How the endpoint URL is built (relative,
// --public-url, trusted X-Forwarded-Prefix) is transport/endpoint_url.hpp's job.
#pragma once

#include "mcpgate/transport/endpoint_url.hpp"
#include "mcpgate/transport/http_common.hpp"

#include <string>

namespace mcpgate::transport {

class LegacySse {
 public:
  explicit LegacySse(TransportDeps deps, EndpointOptions endpoint = {})
      : deps_(std::move(deps)), endpoint_(std::move(endpoint)) {}

  void install(httplib::Server& server, const std::string& sse_path = "/sse",
               const std::string& post_path = "/messages");

  void open(const httplib::Request& req, httplib::Response& res) const;
  void post(const httplib::Request& req, httplib::Response& res) const;

  // The endpoint event's default (relative) URL for a stream opened at `request_path`.
  [[nodiscard]] static std::string endpoint_url(std::string_view request_path,
                                                std::string_view post_path,
                                                std::string_view session_id);

 private:
  // The endpoint event's URL for this request (logs a warning when a trusted forwarded
  // prefix had to be ignored).
  [[nodiscard]] std::string endpoint_event_url(const httplib::Request& req,
                                               const std::string& session_id) const;

  TransportDeps deps_;
  EndpointOptions endpoint_;
  std::string post_path_ = "/messages";
};

}  // namespace mcpgate::transport
