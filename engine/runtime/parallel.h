// Splitting a range of independent work items (weight rows, attention heads)
// across the session's threads. Each thread gets one contiguous range, so a
// result never depends on the number of threads.
#pragma once

#include <omp.h>

#include <atomic>
#include <cstdint>

namespace lathe {

// Parallel regions entered so far by this process (those with more than one
// thread), so that `lathe bench` can count regions per token and report the
// fork/join overhead. A relaxed increment per region: a few ns.
inline std::atomic<uint64_t>& parallel_region_count() {
  static std::atomic<uint64_t> count{0};
  return count;
}

// Calls fn(begin, end, thread) for n_threads disjoint ranges that cover
// [0, n), thread in [0, n_threads); runs on the calling thread alone when
// n_threads is 1. fn must only touch what its range owns (and scratch
// indexed by `thread`).
template <class Fn>
void parallel_ranges(int n_threads, int64_t n, Fn&& fn) {
  if (n_threads <= 1 || n < 2) {
    fn(int64_t{0}, n, 0);
    return;
  }
  parallel_region_count().fetch_add(1, std::memory_order_relaxed);
#pragma omp parallel num_threads(n_threads)
  {
    const int64_t t = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t begin = n * t / nt;
    const int64_t end = n * (t + 1) / nt;
    if (begin < end) fn(begin, end, static_cast<int>(t));
  }
}

} // namespace lathe
