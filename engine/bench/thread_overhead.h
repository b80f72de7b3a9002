// The fork/join cost of the runtime's parallel regions, to report the
// threading overhead per token: (empty region time) x (regions per token).
// It is a lower bound: waiting for the slowest thread (load imbalance) and
// cache traffic between cores come on top.
#pragma once

namespace lathe::bench {

// Median time of an empty parallel_ranges() region with n_threads threads, in
// ns (0 for one thread, which runs inline). Takes about 10 ms.
double empty_region_ns(int n_threads);

} // namespace lathe::bench
