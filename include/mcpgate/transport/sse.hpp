// Server-Sent Events framing. Every field value is single-line by construction, so no payload
// can inject an extra field or event.
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::transport::sse {

// The exact media type: any parameter makes cpp-httplib 0.11 compress (and so buffer) the stream.
inline constexpr const char* content_type = "text/event-stream";

// `event: <name>` (omitted when empty), `id: <id>` (omitted when empty), then one `data:` line
// per line of `data`.
[[nodiscard]] std::string event(std::string_view name, std::string_view id, std::string_view data);

// An event that carries only an id and a reconnection hint (2025-11-25 priming event).
[[nodiscard]] std::string priming(std::string_view id, long retry_ms);

// A comment line, ignored by clients; used as a heartbeat.
[[nodiscard]] std::string comment(std::string_view text);

// Remove CR, LF and NUL so the value is safe inside one field.
[[nodiscard]] std::string single_line(std::string_view value);

}  // namespace mcpgate::transport::sse
