// Waiting for a condition in a test: every wait has a deadline, so a stuck component fails its
// test instead of hanging the run.
#pragma once

#include <chrono>
#include <thread>

namespace test_support {

// Polls `condition` every `every` until it holds (true) or `limit` passes (false).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(2)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace test_support
