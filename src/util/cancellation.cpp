#include "mcpgate/util/cancellation.hpp"

#include <utility>
#include <vector>

namespace mcpgate::util {

namespace {

// The work the calling thread does belongs to this (see CancellationScope).
thread_local Cancellation* current_cancellation = nullptr;

}  // namespace

void Cancellation::cancel() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_.exchange(true)) return;
    hooks.reserve(hooks_.size());
    for (auto& [key, hook] : hooks_) hooks.push_back(std::move(hook));
    hooks_.clear();
    firing_ = true;
  }
  // Outside the lock: a hook calls into another component (a backend shutting its socket).
  for (auto& hook : hooks) hook();
  {
    std::lock_guard lock(mutex_);
    firing_ = false;
  }
  fired_.notify_all();
}

Cancellation::Hook Cancellation::on_cancel(std::function<void()> stop) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled_.load()) {
      const std::uint64_t key = next_key_++;
      hooks_.emplace(key, std::move(stop));
      return Hook(this, key);
    }
  }
  stop();
  return Hook();
}

void Cancellation::remove(std::uint64_t key) noexcept {
  std::unique_lock lock(mutex_);
  if (hooks_.erase(key) > 0) return;
  // Taken by cancel(): it may be running right now; wait until it has.
  fired_.wait(lock, [&] { return !firing_; });
}

Cancellation::Hook::Hook(Hook&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), key_(other.key_) {}

Cancellation::Hook& Cancellation::Hook::operator=(Hook&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = other.key_;
  }
  return *this;
}

Cancellation::Hook::~Hook() { release(); }

void Cancellation::Hook::release() noexcept {
  if (owner_) owner_->remove(key_);
  owner_ = nullptr;
}

CancellationScope::CancellationScope(Cancellation* cancellation) noexcept
    : previous_(current_cancellation) {
  current_cancellation = cancellation;
}

CancellationScope::~CancellationScope() { current_cancellation = previous_; }

Cancellation* CancellationScope::current() noexcept { return current_cancellation; }

}  // namespace mcpgate::util
