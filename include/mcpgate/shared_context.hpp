// What every session shares: built once by the init gate, then read-only, except the lists it
// offers, which may change at run time (tools::LiveLists: a request reads one snapshot).
#pragma once

#include "mcpgate/backend/backend.hpp"
#include "mcpgate/tools/live_lists.hpp"

#include <string>

namespace mcpgate {

struct ServerInfo {
  std::string name = "mcpgate";
  std::string version;
  std::string title;
  std::string description;
  std::string instructions;  // initialize's `instructions`; empty = omitted
};

// What the first look at the backend found (GET /api/health during initialisation).
struct BackendProbe {
  bool reachable = false;  // answered 2xx
  std::string summary;     // "answered HTTP 200" or the error, for clients: no URL, no path
  std::string detail;      // the same naming the backend (its URL or data file), for logs
};

struct SharedContext {
  ServerInfo info;
  // Tools, resources, prompts: never null.
  std::shared_ptr<tools::LiveLists> lists = std::make_shared<tools::LiveLists>();
  std::shared_ptr<backend::Backend> backend;  // null when no backend is configured
  BackendProbe first_probe;
};

}  // namespace mcpgate
