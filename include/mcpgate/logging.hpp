// The process's logger: spdlog on stderr, as text for people or as one JSON object per line for
// log shippers (--log-format json):
//   {"time":"2026-11-25T10:00:00.123+0000","level":"info","thread":1234,"message":"..."}
// Messages name the session, tool and backend they concern. In JSON, a line logged while a
// session's message is handled also carries them as fields, for shippers to filter on:
//   {..., "message":"...", "session":"Xy3...", "request":7}
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace mcpgate {

// The formatter of --log-format text: time, level, message, with the message's control
// characters escaped as \xNN (a "%0A" in a request path cannot forge a second line).
[[nodiscard]] std::unique_ptr<spdlog::formatter> text_line_formatter();

// The formatter of --log-format json: one JSON object per line, with LogScope's fields.
[[nodiscard]] std::unique_ptr<spdlog::formatter> json_line_formatter();

// Installs the default logger. `format` is "text" or "json"; `level` an spdlog level name.
void configure_logging(const std::string& format, const std::string& level);

// Names the session (and the JSON-RPC request id) that the calling thread's log lines are about,
// for the scope's lifetime; the previous one comes back after. Both are referenced, not copied,
// and formatted only when a JSON line is written: a scope costs the request path nothing else.
// They must outlive the scope.
class LogScope {
 public:
  explicit LogScope(std::string_view session, const nlohmann::json* request_id = nullptr);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  std::string_view previous_session_;
  const nlohmann::json* previous_request_;
};

}  // namespace mcpgate
