#include "mcpgate/tools/local_tools.hpp"

#include "mcpgate/tools/json_result.hpp"

namespace mcpgate::tools {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const json empty_object_schema = json{{"type", "object"}, {"properties", json::object()}};

}  // namespace

void register_local_tools(ToolRegistry& registry, ServerStatusSource status) {
  registry.add(Tool{
      "health_check",
      "Health check",
      "Report whether the server is up and ready: its status, how long it has been running and "
      "the state of its start-up. Call it first when other tools fail unexpectedly.",
      empty_object_schema,
      string_result_schema("health_check"),
      json{{"readOnlyHint", true}, {"openWorldHint", false}},
      [status](const json&, ToolContext&) {
        // Look at the backend first: the probe also refreshes the server's own state.
        const json probe = status.probe_backend ? status.probe_backend() : json();
        const std::string state = status.init_state ? status.init_state() : "ready";
        json health{{"status", state == "ready" ? "healthy" : state}, {"initialization", state}};
        if (!probe.is_null()) {
          health["api_service"] = probe.value("api_service", false);
          health["backend"] = probe.value("detail", std::string());
        }
        health["last_health_check"] = utc_timestamp();
        json payload{{"success", true},
                     {"health", std::move(health)},
                     {"uptime_seconds", seconds_since(status.started)},
                     {"timestamp", utc_timestamp()}};
        return json_string_result(payload);
      },
      CallStyle::silent});

  registry.add(Tool{
      "session_info",
      "Session info",
      "Show how many MCP sessions are open on this server, by transport, and how many of them "
      "were active in the last 5 minutes (recently_active_sessions): clients that leave without "
      "closing their session keep it open (counted in active_sessions) until the idle timeout "
      "(session_timeout, seconds) closes it. Also the current session (and, with OAuth, the user it "
      "belongs to: subject) and the server's uptime.",
      empty_object_schema,
      string_result_schema("session_info"),
      json{{"readOnlyHint", true}, {"openWorldHint", false}},
      [status](const json&, ToolContext& context) {
        const auto counts = status.session_counts();
        const std::size_t recent =
            status.sessions_active_since
                ? status.sessions_active_since(std::chrono::steady_clock::now() -
                                               recent_activity_window)
                : counts.total();
        json payload{
            {"success", true},
            {"session_management",
             // active_sessions is Archon's name for the open sessions; kept for its clients.
             {{"active_sessions", counts.total()},
              {"recently_active_sessions", recent},
              {"recent_window_seconds", recent_activity_window.count()},
              {"sessions_by_transport",
               {{"streamable_http", counts.streamable_http}, {"legacy_sse", counts.legacy_sse}}},
              {"session_timeout", status.session_ttl.count()},
              {"server_uptime_seconds", seconds_since(status.started)},
              {"current_session", context.session_id()},
              {"protocol_version", context.protocol_version()}}},
            {"timestamp", utc_timestamp()}};
        // Whom the session belongs to, when the server checks OAuth access tokens.
        if (auto subject = context.subject(); !subject.empty())
          payload["session_management"]["subject"] = std::move(subject);
        return json_string_result(payload);
      },
      CallStyle::instant});
}

}  // namespace mcpgate::tools
