// Lets an SSE writer learn the moment its client closes the connection, instead of at its next
// heartbeat, without waking an idle stream for anything else. The HTTP server installs a
// notifier for the connection each of its threads is serving; the transport only asks for it.
#pragma once

#include <functional>
#include <memory>

namespace mcpgate::transport {

class HangupNotifier {
 public:
  virtual ~HangupNotifier() = default;
  // Calls `on_hangup` (from another thread) if the client closes the connection while the
  // returned handle lives. Once the handle is released no call is running or will start.
  // nullptr when the connection cannot be watched (the heartbeat still notices).
  [[nodiscard]] virtual std::shared_ptr<void> watch(std::function<void()> on_hangup) = 0;
};

// The notifier of the connection the calling thread serves, or nullptr.
[[nodiscard]] HangupNotifier* current_hangup_notifier() noexcept;

// Installs `notifier` for the calling thread for the scope's lifetime.
class ScopedHangupNotifier {
 public:
  explicit ScopedHangupNotifier(HangupNotifier* notifier) noexcept;
  ~ScopedHangupNotifier();
  ScopedHangupNotifier(const ScopedHangupNotifier&) = delete;
  ScopedHangupNotifier& operator=(const ScopedHangupNotifier&) = delete;

 private:
  HangupNotifier* previous_;
};

}  // namespace mcpgate::transport
