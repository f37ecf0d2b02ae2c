// The conformance suite's fixtures for multi round-trip requests (2026-07-28,
// input-required-result-* scenarios) and the server-stateless diagnostics that need client
// input (test_missing_capability, test_streaming_elicitation). Each asks through
// ToolContext::ask, so it works on every era: server->client requests in a session,
// "input_required" and a retry on the modern era.
#pragma once

#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/registry.hpp"

namespace mcpgate::tools {

void register_mrtr_fixtures(ToolRegistry& tools, Catalog& catalog);

}  // namespace mcpgate::tools
