// Where the protocol layer sends JSON-RPC messages: a request's own messages (progress, logs,
// server->client requests) and a session's notifications. The seam between protocol and
// transport: the protocol layer hands over whole messages; framing (SSE), event ids, replay and
// byte budgets belong to whatever implements this (transport::EventStream), and tests record
// the messages.
//
// Implementations are called from any thread and never block on I/O.
#pragma once

#include <nlohmann/json.hpp>

namespace mcpgate::protocol {

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Queue one JSON-RPC message for the client. False when it was not taken: the outbox is
  // closed or finished, or over its budget (the transport logs and counts that).
  virtual bool send(const nlohmann::json& message) = 0;
  // Nothing more will be sent; what is queued is still delivered.
  virtual void finish() = 0;
  // End now, queued or not (the session ended, the server is shutting down).
  virtual void close() = 0;
  // Ask the transport to drop the connection that carries these messages while keeping them,
  // so that the client resumes (a tool's drop_connection(), for tests of resumption).
  virtual void request_disconnect() = 0;
};

}  // namespace mcpgate::protocol
