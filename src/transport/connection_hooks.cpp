#include "mcpgate/transport/connection_hooks.hpp"

namespace mcpgate::transport {

namespace {
// Per thread by nature: it names the connection this thread is serving right now.
thread_local ConnectionHooks* current = nullptr;
}  // namespace

ConnectionHooks* current_connection_hooks() noexcept { return current; }

ScopedConnectionHooks::ScopedConnectionHooks(ConnectionHooks* hooks) noexcept
    : previous_(current) {
  current = hooks;
}

ScopedConnectionHooks::~ScopedConnectionHooks() { current = previous_; }

}  // namespace mcpgate::transport
