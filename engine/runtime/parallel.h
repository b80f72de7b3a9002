// Splitting a range of independent work items (weight rows, attention heads)
// across the session's threads. Each thread gets one contiguous range, so a
// result never depends on the number of threads.
#pragma once

#include <omp.h>

#include <cstdint>

namespace lathe {

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
