// The kernel's futex hash for this process, sized for the threads the server may block at once.
//
// Why: every thread blocked on a mutex or a condition variable is a waiter queued in one bucket
// of a futex hash table, and every wake-up (a notify, the unlock of a contended mutex) walks the
// list of its bucket under the bucket's lock. Since Linux 6.16 a process gets a hash of its own,
// sized from min(threads, online CPUs) × 4 and at least 16 buckets: 16 on a 2-core machine.
// mcpgate blocks one writer thread per open SSE stream, so with 10,000 legacy streams open each
// wake-up walked ~600 waiters: measured, half of the server's CPU went to futex_wake in the
// kernel during a burst of legacy calls (bench/ legacy workload). Sized for the threads instead,
// a bucket holds one or two waiters.
#pragma once

#include <cstddef>

namespace mcpgate::util {

// The buckets for `threads` blocked threads: one per two threads, a power of two (the kernel's
// rule), between 16 (its own floor) and 65,536 (64 bytes each: 4 MiB, for 131,072 threads).
[[nodiscard]] std::size_t futex_hash_slots_for(std::size_t threads) noexcept;

// Asks the kernel for a private futex hash of futex_hash_slots_for(threads) buckets. Returns the
// buckets it now has, or 0 when the kernel has no private futex hash (before 6.16) or refused:
// then nothing changed, and the process uses the kernel's shared hash as before.
std::size_t size_futex_hash(std::size_t threads) noexcept;

}  // namespace mcpgate::util
