// The modern era (MCP 2026-07-28) on the Streamable HTTP endpoint: a POST whose request names
// its revision in params._meta is served on its own, with no session. Its headers are checked
// against its body, its client is built from its _meta for this request alone, and it is
// answered as one JSON body or, when it has messages to stream first, as an SSE stream that
// ends with the response. Closing that stream cancels the request. No session id is minted or
// echoed, and nothing of the request outlives its response.
//
// subscriptions/listen is the one request whose stream outlives the call: it is opened through
// the dispatcher (protocol::Subscriptions), written by the connection's own thread like any
// stream (keep-alive comments while idle), and ends the subscription when the client closes it.
#pragma once

#include "mcpgate/transport/event_stream.hpp"
#include "mcpgate/transport/http_common.hpp"

namespace mcpgate::transport {

class StatelessHttp {
 public:
  explicit StatelessHttp(TransportDeps deps) : deps_(std::move(deps)) {}

  // Whether this POST belongs to the modern era: a lone message whose params carry the modern
  // _meta envelope, or one that names a revision in MCP-Protocol-Version that no session
  // serves (a modern client, to be told what is wrong in the modern way).
  [[nodiscard]] static bool claims(const httplib::Request& req, const jsonrpc::Parsed& parsed);

  void post(const httplib::Request& req, httplib::Response& res, jsonrpc::Parsed parsed) const;

 private:
  void serve(const httplib::Request& req, httplib::Response& res,
             jsonrpc::Request request) const;
  void listen(const httplib::Request& req, httplib::Response& res,
              protocol::ClientState& client, const jsonrpc::Request& request) const;

  // A response stream of this era (`id` names it in logs, `owner` what it carries).
  [[nodiscard]] std::shared_ptr<EventStream> response_stream(const char* id,
                                                             const char* owner) const;

  TransportDeps deps_;
};

}  // namespace mcpgate::transport
