#include "mcpgate/util/futex_hash.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <bit>

namespace mcpgate::util {

namespace {

// From <linux/prctl.h> of 6.16; defined here for older headers (the call then fails with EINVAL
// on an older kernel, which is the "no private hash" answer).
constexpr int pr_futex_hash = 78;
constexpr unsigned long pr_futex_hash_set_slots = 1;
constexpr unsigned long pr_futex_hash_get_slots = 2;

constexpr std::size_t min_slots = 16;
constexpr std::size_t max_slots = 65536;

}  // namespace

std::size_t futex_hash_slots_for(std::size_t threads) noexcept {
  return std::clamp(std::bit_ceil(std::max<std::size_t>(threads / 2, 1)), min_slots, max_slots);
}

std::size_t size_futex_hash(std::size_t threads) noexcept {
  const std::size_t slots = futex_hash_slots_for(threads);
  if (::prctl(pr_futex_hash, pr_futex_hash_set_slots, slots, 0UL, 0UL) != 0) return 0;
  const int now = ::prctl(pr_futex_hash, pr_futex_hash_get_slots, 0UL, 0UL, 0UL);
  return now > 0 ? static_cast<std::size_t>(now) : 0;
}

}  // namespace mcpgate::util
