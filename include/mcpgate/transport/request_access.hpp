// The access a request's credentials grant (protocol::Access), handed from the server's
// authentication, which runs before routing, to the transport that serves the request.
//
// It travels on the request itself, in a header field whose name holds a space: mcpgate's own
// request-head parser refuses such a name from the wire (server/request_head.cpp), so no client
// can forge it, and attach_access() replaces whatever is there.
#pragma once

#include "mcpgate/protocol/access.hpp"

#include <httplib.h>

#include <optional>

namespace mcpgate::transport {

void attach_access(httplib::Request& req, const protocol::Access& access);
// nullopt when authentication attached nothing (a server that checks no credentials).
[[nodiscard]] std::optional<protocol::Access> access_of(const httplib::Request& req);

}  // namespace mcpgate::transport
