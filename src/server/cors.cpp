#include "mcpgate/server/cors.hpp"

#include <string>

namespace mcpgate::server::cors {

void allow(httplib::Response& res, std::string_view origin) {
  res.set_header("Access-Control-Allow-Origin", std::string(origin));
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers",
                 "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After");
}

bool is_preflight(const httplib::Request& req) {
  return req.method == "OPTIONS" && req.has_header("Origin") &&
         req.has_header("Access-Control-Request-Method");
}

void answer_preflight(httplib::Response& res, std::string_view origin) {
  allow(res, origin);
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  res.set_header("Access-Control-Allow-Headers",
                 "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, "
                 "Last-Event-ID");
  res.set_header("Access-Control-Max-Age", "86400");
}

}  // namespace mcpgate::server::cors
