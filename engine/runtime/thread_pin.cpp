#include "engine/runtime/thread_pin.h"

#include <fmt/format.h>

#include "engine/runtime/parallel.h"

#ifdef __linux__
#include <pthread.h>
#include <sched.h>

#include <cstring>
#endif

namespace lathe {

#ifdef __linux__

const std::vector<int>& allowed_cpus() {
  static const std::vector<int> cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) out.push_back(cpu);
    }
    return out;
  }();
  return cpus;
}

void pin_threads(int n_threads) {
  const std::vector<int>& cpus = allowed_cpus();
  if (n_threads < 1 || static_cast<size_t>(n_threads) > cpus.size()) {
    throw std::runtime_error(
        fmt::format("threads.pin: {} threads cannot each have a CPU of their own: this process may run on {} CPU(s) "
                    "({}); use at most {} threads or threads.pin: false",
                    n_threads, cpus.size(), fmt::join(cpus, ","), cpus.size()));
  }
  // One item per thread, so item t runs on team thread t.
  std::vector<int> errors(static_cast<size_t>(n_threads), -1); // (n_threads) pthread error codes
  parallel_ranges(n_threads, n_threads, [&](int64_t t, int64_t, int) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<size_t>(t)], &one);
    errors[static_cast<size_t>(t)] = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
  });
  for (int t = 0; t < n_threads; ++t) {
    const int e = errors[static_cast<size_t>(t)];
    if (e == -1) throw std::runtime_error(fmt::format("threads.pin: worker thread {} never ran", t));
    if (e != 0) {
      throw std::runtime_error(fmt::format("threads.pin: cannot pin thread {} to CPU {}: {}", t,
                                           cpus[static_cast<size_t>(t)], std::strerror(e)));
    }
  }
  // The next region must run on the same, pinned threads.
  std::vector<int> on(static_cast<size_t>(n_threads), -1); // (n_threads) the one CPU each may use, or -1
  parallel_ranges(n_threads, n_threads, [&](int64_t t, int64_t, int) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) on[static_cast<size_t>(t)] = cpu;
    }
  });
  for (int t = 0; t < n_threads; ++t) {
    if (on[static_cast<size_t>(t)] != cpus[static_cast<size_t>(t)]) {
      throw std::runtime_error(
          fmt::format("threads.pin: thread {} was pinned to CPU {} but the next parallel region ran it {}: the "
                      "OpenMP runtime does not keep its threads; use threads.pin: false",
                      t, cpus[static_cast<size_t>(t)],
                      on[static_cast<size_t>(t)] < 0 ? std::string("unpinned")
                                                     : fmt::format("on CPU {}", on[static_cast<size_t>(t)])));
    }
  }
}

#else // Affinity masks are a Linux interface (macOS has only hints).

const std::vector<int>& allowed_cpus() {
  static const std::vector<int> none;
  return none;
}

void pin_threads(int) { throw std::runtime_error("threads.pin: pinning threads is only supported on Linux"); }

#endif

} // namespace lathe
