// Cross-origin access for browser-based MCP clients (the MCP Inspector, web IDEs). An Origin the
// OriginGuard accepts gets CORS headers on every answer, errors included, with Mcp-Session-Id
// readable by the page; a preflight (OPTIONS) is answered here without reaching a transport.
// Every CORS header (and Vary) appears exactly once on an answer: a browser refuses one that
// repeats them. Each function here replaces the headers it sets, so calling again is harmless.
#pragma once

#include <httplib.h>

#include <string_view>

namespace mcpgate::server::cors {

// Access-Control-Allow-Origin for this origin, Vary: Origin and the exposed MCP headers.
void allow(httplib::Response& res, std::string_view origin);

// True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
[[nodiscard]] bool is_preflight(const httplib::Request& req);

// 204 with the methods and request headers MCP clients use, cached for a day.
void answer_preflight(httplib::Response& res, std::string_view origin);

}  // namespace mcpgate::server::cors
