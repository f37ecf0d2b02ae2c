#include "mcpgate/logging.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace mcpgate {

namespace {

// What the calling thread's log lines are about (LogScope). Per thread by nature.
thread_local std::string_view log_scope_session;
thread_local const nlohmann::json* log_scope_request = nullptr;

// %& : `,"session":"...","request":...` for the fields LogScope set, or nothing.
class JsonScopeFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    const auto append = [&dest](std::string_view name, const nlohmann::json& value) {
      const std::string field = ",\"" + std::string(name) + "\":" + util::compact_json(value);
      dest.append(field.data(), field.data() + field.size());
    };
    if (!log_scope_session.empty()) append("session", nlohmann::json(log_scope_session));
    if (log_scope_request != nullptr) append("request", *log_scope_request);
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonScopeFlag>();
  }
};

// %* : the message as a JSON string literal (quotes, control characters and invalid UTF-8
// escaped or replaced), so a message can never break the line's JSON.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    const std::string quoted = util::compact_json(nlohmann::json(text));
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %~ : the message with control characters as \xNN, so that text from the network (a path, a
// header, a file name) can never start a forged log line or drive a terminal.
class TextMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) {
        const char escaped[] = {'\\', 'x', hex[byte >> 4], hex[byte & 0xf]};
        dest.append(escaped, escaped + sizeof(escaped));
      } else {
        dest.push_back(c);
      }
    }
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextMessageFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> text_line_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<TextMessageFlag>('~').set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %~");
  return formatter;
}

std::unique_ptr<spdlog::formatter> json_line_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JsonMessageFlag>('*').add_flag<JsonScopeFlag>('&').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"message":%*%&})");
  return formatter;
}

void configure_logging(const std::string& format, const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = spdlog::stderr_logger_mt("mcpgate");  // plain sink: no colour codes inside JSON
    logger->set_formatter(json_line_formatter());
  } else {
    logger = spdlog::stderr_color_mt("mcpgate");
    logger->set_formatter(text_line_formatter());
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

LogScope::LogScope(std::string_view session, const nlohmann::json* request_id)
    : previous_session_(log_scope_session), previous_request_(log_scope_request) {
  log_scope_session = session;
  log_scope_request = request_id;
}

LogScope::~LogScope() {
  log_scope_session = previous_session_;
  log_scope_request = previous_request_;
}

}  // namespace mcpgate
