#include "mcpgate/tools/json_result.hpp"

#include "mcpgate/jsonrpc.hpp"

#include <chrono>
#include <ctime>

namespace mcpgate::tools {

json string_result_schema(std::string_view tool_name) {
  return json{{"type", "object"},
              {"properties", {{"result", {{"type", "string"}, {"title", "Result"}}}}},
              {"required", json::array({"result"})},
              {"title", std::string(tool_name) + "Output"}};
}

ToolResult json_string_result(const json& payload) {
  ToolResult result;
  std::string text = jsonrpc::dump(payload);
  result.content.push_back(content::text(text));
  result.structured = json{{"result", std::move(text)}};
  return result;
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buffer, static_cast<int>(millis));
  return out;
}

}  // namespace mcpgate::tools
