#include "mcpgate/server/cors.hpp"

#include <string>
#include <utility>

namespace mcpgate::server::cors {

namespace {

// httplib's set_header adds a line; a CORS header that appears twice (even with the same
// value) makes a browser refuse the answer. Each of ours replaces any earlier one.
void set_once(httplib::Response& res, const std::string& name, std::string value) {
  res.headers.erase(name);
  res.set_header(name, std::move(value));
}

}  // namespace

void allow(httplib::Response& res, std::string_view origin) {
  set_once(res, "Access-Control-Allow-Origin", std::string(origin));
  set_once(res, "Vary", "Origin");
  set_once(res, "Access-Control-Expose-Headers",
           "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After");
}

bool is_preflight(const httplib::Request& req) {
  return req.method == "OPTIONS" && req.has_header("Origin") &&
         req.has_header("Access-Control-Request-Method");
}

void answer_preflight(httplib::Response& res, std::string_view origin) {
  allow(res, origin);
  res.status = 204;
  set_once(res, "Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  set_once(res, "Access-Control-Allow-Headers",
           "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, "
           "Last-Event-ID");
  set_once(res, "Access-Control-Max-Age", "86400");
}

}  // namespace mcpgate::server::cors
