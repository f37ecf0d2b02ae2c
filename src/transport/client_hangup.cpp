#include "mcpgate/transport/client_hangup.hpp"

namespace mcpgate::transport {

namespace {
// Per thread by nature: it names the connection this thread is serving right now.
thread_local HangupNotifier* current = nullptr;
}  // namespace

HangupNotifier* current_hangup_notifier() noexcept { return current; }

ScopedHangupNotifier::ScopedHangupNotifier(HangupNotifier* notifier) noexcept
    : previous_(current) {
  current = notifier;
}

ScopedHangupNotifier::~ScopedHangupNotifier() { current = previous_; }

}  // namespace mcpgate::transport
