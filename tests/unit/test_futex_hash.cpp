// util::size_futex_hash (util/futex_hash.hpp): the process's futex hash sized for its threads.
#include "mcpgate/util/futex_hash.hpp"

#include <doctest/doctest.h>

#include <sys/prctl.h>

#include <cerrno>

using namespace mcpgate;

TEST_CASE("futex_hash_slots_for: one bucket per two threads, a power of two, 16 to 65,536") {
  CHECK(util::futex_hash_slots_for(0) == 16);
  CHECK(util::futex_hash_slots_for(10) == 16);
  CHECK(util::futex_hash_slots_for(10000) == 8192);
  CHECK(util::futex_hash_slots_for(20000) == 16384);
  CHECK(util::futex_hash_slots_for(16384) == 8192);
  CHECK(util::futex_hash_slots_for(1'000'000) == 65536);
}

TEST_CASE("size_futex_hash: the kernel's private hash gets the buckets asked for, where it has one") {
  // PR_FUTEX_HASH (78), PR_FUTEX_HASH_GET_SLOTS (2): Linux 6.16 and later.
  const int before = ::prctl(78, 2, 0UL, 0UL, 0UL);
  const std::size_t slots = util::size_futex_hash(10000);
  if (before < 0) {
    // No private futex hash on this kernel: nothing to size, and nothing changed.
    CHECK(slots == 0);
    return;
  }
  CHECK(slots == 8192);
  CHECK(::prctl(78, 2, 0UL, 0UL, 0UL) == 8192);
}
