// What every session shares: built once by the init gate, then read-only and lock-free.
#pragma once

#include "mcpgate/protocol/catalog.hpp"
#include "mcpgate/tools/registry.hpp"

#include <string>

namespace mcpgate {

struct ServerInfo {
  std::string name = "mcpgate";
  std::string version;
  std::string title;
  std::string description;
  std::string instructions;  // initialize's `instructions`; empty = omitted
};

struct SharedContext {
  ServerInfo info;
  tools::ToolRegistry tools;
  protocol::Catalog catalog;
};

}  // namespace mcpgate
