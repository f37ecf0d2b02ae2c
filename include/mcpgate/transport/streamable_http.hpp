// The Streamable HTTP transport (MCP 2025-03-26 and later) on one endpoint, /mcp by default:
// POST carries client messages (answered as an SSE stream or as JSON), GET opens the session's
// standalone stream or resumes a stream with Last-Event-ID, DELETE ends the session. A POST of
// the modern era (2026-07-28, no session) goes to StatelessHttp, on the same endpoint.
#pragma once

#include "mcpgate/transport/http_common.hpp"
#include "mcpgate/transport/stateless_http.hpp"

#include <string>

namespace mcpgate::transport {

class StreamableHttp {
 public:
  explicit StreamableHttp(TransportDeps deps) : deps_(deps), stateless_(std::move(deps)) {}

  void install(httplib::Server& server, const std::string& path = "/mcp");

  void post(const httplib::Request& req, httplib::Response& res) const;
  void get(const httplib::Request& req, httplib::Response& res) const;
  void remove(const httplib::Request& req, httplib::Response& res) const;

 private:
  // The session named by Mcp-Session-Id (restored from the session store when this process does
  // not hold it); on failure the error response (carrying `id`, the request's when it is one)
  // is already set.
  std::shared_ptr<sessions::Session> session_for(const httplib::Request& req,
                                                 httplib::Response& res,
                                                 const nlohmann::json& id = nullptr) const;
  bool check_version_header(const httplib::Request& req, httplib::Response& res,
                            const nlohmann::json& id = nullptr) const;
  void initialize(const httplib::Request& req, httplib::Response& res,
                  const jsonrpc::Request& request, bool want_sse) const;
  // Answers 410 when a writer starting after `after_seq` could not be given every event that
  // follows (evicted, or dropped over the byte budget); true when it did.
  static bool refuse_incomplete(httplib::Response& res, const EventStream& stream,
                                std::uint64_t after_seq);
  void stream_response(httplib::Response& res, const std::shared_ptr<sessions::Session>& session,
                       const std::shared_ptr<EventStream>& stream, std::uint64_t generation,
                       std::uint64_t after_seq) const;

  // A GET or DELETE of a modern client (a modern revision named, no session): 405, since the
  // revision has neither a standalone stream nor sessions. True when that answer is set.
  static bool refuse_modern(const httplib::Request& req, httplib::Response& res);

  TransportDeps deps_;
  StatelessHttp stateless_;
};

}  // namespace mcpgate::transport
