// The cancellation of one piece of work (a client's request): shared by whoever may cancel it
// (the client's notifications/cancelled, the end of its session) and whatever works for it (a
// tool handler that polls cancelled(), a backend transfer that registers a way to stop at once).
//
//   auto cancellation = std::make_shared<util::Cancellation>();
//   {
//     const util::CancellationScope scope(cancellation.get());  // work on this thread belongs to it
//     backend.request(...);   // HttpBackend looks up CancellationScope::current() and registers
//   }                         // on_cancel(shut its socket down) for the length of the transfer
//   cancellation->cancel();   // from any thread: the flag turns true and every hook runs once
//
// The scope is per thread (like LogScope): code far below the protocol layer can stop when its
// request is cancelled without every tool handing a token down to every backend call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace mcpgate::util {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Turn the flag true and run every registered hook, once, on this thread. Idempotent.
  void cancel();
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_.load(); }

  // Runs `stop` when cancel() is called while the returned Hook lives (at once, here, when it
  // already was). `stop` must be quick (it runs on the cancelling thread) and must not call
  // back into this Cancellation. The Hook's destructor waits for a `stop` already running, so
  // `stop` may refer to the registrant's stack.
  class Hook {
   public:
    Hook() = default;
    Hook(Hook&& other) noexcept;
    Hook& operator=(Hook&& other) noexcept;
    ~Hook();
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;

   private:
    friend class Cancellation;
    Hook(Cancellation* owner, std::uint64_t key) : owner_(owner), key_(key) {}
    void release() noexcept;
    Cancellation* owner_ = nullptr;
    std::uint64_t key_ = 0;
  };
  [[nodiscard]] Hook on_cancel(std::function<void()> stop);

 private:
  void remove(std::uint64_t key) noexcept;

  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable fired_;
  std::map<std::uint64_t, std::function<void()>> hooks_;  // guarded by mutex_
  std::uint64_t next_key_ = 1;                            // guarded by mutex_
  bool firing_ = false;                                   // guarded by mutex_
};

// Names the Cancellation that the calling thread's work belongs to, for the scope's lifetime;
// the previous one comes back after. The Cancellation must outlive the scope.
class CancellationScope {
 public:
  explicit CancellationScope(Cancellation* cancellation) noexcept;
  ~CancellationScope();
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;

  // The innermost scope's Cancellation on this thread, or null outside any.
  [[nodiscard]] static Cancellation* current() noexcept;

 private:
  Cancellation* previous_;
};

}  // namespace mcpgate::util
