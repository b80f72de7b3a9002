// threads.pin: each of the session's worker threads on a CPU of its own.
#pragma once

#include <stdexcept>
#include <vector>

namespace lathe {

// The CPUs this process may run on, in ascending order, as the affinity mask
// said on the first call (before any pinning narrowed the calling thread's).
const std::vector<int>& allowed_cpus();

// Pins the threads of parallel_ranges(n_threads, ...) regions: thread t of
// the team (t = 0 is the calling thread) to allowed_cpus()[t]. Pinning lasts
// for the process (the OpenMP runtime keeps its threads between regions), and
// is checked: a second region must find every thread on its CPU.
// Throws std::runtime_error when n_threads exceeds the allowed CPUs, when the
// system refuses the affinity, or when the check fails.
void pin_threads(int n_threads);

} // namespace lathe
