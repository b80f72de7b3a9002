#include "engine/bench/thread_overhead.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/runtime/parallel.h"

namespace lathe::bench {

double empty_region_ns(int n_threads) {
  if (n_threads <= 1) return 0.0;
  constexpr int kBatches = 11;
  constexpr int kRegionsPerBatch = 200;
  const auto empty = [](int64_t, int64_t, int) {};
  for (int i = 0; i < kRegionsPerBatch; ++i) parallel_ranges(n_threads, n_threads, empty); // wake the team
  std::vector<double> per_region; // (kBatches) mean ns per region of each batch
  for (int b = 0; b < kBatches; ++b) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRegionsPerBatch; ++i) parallel_ranges(n_threads, n_threads, empty);
    const auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    per_region.push_back(ns / kRegionsPerBatch);
  }
  std::nth_element(per_region.begin(), per_region.begin() + kBatches / 2, per_region.end());
  return per_region[kBatches / 2];
}

} // namespace lathe::bench
