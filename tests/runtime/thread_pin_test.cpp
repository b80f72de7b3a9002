// threads.pin: every thread of a parallel region on its own allowed CPU, and
// a clear error when there are more threads than CPUs. Its own executable:
// pinning lasts for the process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "engine/runtime/parallel.h"
#include "engine/runtime/thread_pin.h"

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

namespace lathe {
namespace {

using ::testing::HasSubstr;

#ifdef __linux__

// The one CPU the calling thread may run on, or -1 when it may run on several.
int pinned_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return -1;
}

TEST(ThreadPin, TooManyThreadsIsAnError) {
  const int n = static_cast<int>(allowed_cpus().size()) + 1;
  try {
    pin_threads(n);
    FAIL() << "pinning " << n << " threads succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("threads.pin: " + std::to_string(n) + " threads cannot each have a CPU"));
  }
  EXPECT_EQ(pinned_cpu(), -1) << "a refused pinning leaves the threads alone";
}

TEST(ThreadPin, EveryThreadOnItsOwnCpuInLaterRegions) {
  const std::vector<int>& cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  const int n = static_cast<int>(std::min<size_t>(cpus.size(), 2));
  pin_threads(n);
  for (int round = 0; round < 3; ++round) {
    std::vector<int> on(static_cast<size_t>(n), -2);
    parallel_ranges(n, n, [&](int64_t t, int64_t, int) { on[static_cast<size_t>(t)] = pinned_cpu(); });
    for (int t = 0; t < n; ++t) EXPECT_EQ(on[static_cast<size_t>(t)], cpus[static_cast<size_t>(t)]) << "thread " << t;
  }
  EXPECT_EQ(pinned_cpu(), cpus[0]) << "the calling thread is thread 0";
}

#else

TEST(ThreadPin, IsAnErrorWhereThereAreNoAffinityMasks) {
  EXPECT_THROW(pin_threads(1), std::runtime_error);
}

#endif

} // namespace
} // namespace lathe
