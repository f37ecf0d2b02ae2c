// The MCP protocol revisions mcpgate speaks, and the wire behaviour each one selects.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace mcpgate::protocol {

inline constexpr std::string_view latest_version = "2025-11-25";
inline constexpr std::array<std::string_view, 4> supported_versions = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

// The stateless revisions (the "modern era"): no initialize, no session; every request carries
// its version and the client's capabilities in params._meta.
inline constexpr std::string_view modern_version = "2026-07-28";
inline constexpr std::array<std::string_view, 1> modern_versions = {"2026-07-28"};

// A revision of the modern era (served per request, without a session).
[[nodiscard]] bool is_modern(std::string_view version);

// What a legacy SSE session that never initialized is served as: that transport's revision
// (ClientState::initialize_implicitly).
inline constexpr std::string_view implicit_legacy_version = "2024-11-05";

// What a Streamable HTTP request without MCP-Protocol-Version is assumed to speak.
inline constexpr std::string_view assumed_header_version = "2025-03-26";

[[nodiscard]] bool is_supported(std::string_view version);

// Version negotiation: echo a supported request, else answer our latest.
[[nodiscard]] std::string negotiate(std::string_view requested);

// Revisions are ISO dates, so string order is time order.
[[nodiscard]] inline bool at_least(std::string_view version, std::string_view revision) {
  return version >= revision;
}

// JSON-RPC batches are allowed only on 2025-03-26 sessions (removed in 2025-06-18).
[[nodiscard]] inline bool allows_batches(std::string_view version) {
  return version == "2025-03-26";
}

// 2025-11-25 clients get a priming event and a retry: hint on every SSE stream.
[[nodiscard]] inline bool wants_priming(std::string_view version) {
  return at_least(version, "2025-11-25");
}

// Since 2025-11-25 invalid tool arguments are an isError result, not a protocol error.
[[nodiscard]] inline bool argument_errors_are_results(std::string_view version) {
  return at_least(version, "2025-11-25");
}

}  // namespace mcpgate::protocol
