#include "engine/bench/bench_runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <sys/resource.h>

#include "engine/runtime/parallel.h"

namespace lathe::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ns_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// CPU time of the whole process (every thread), in seconds.
double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

} // namespace

CaseRunner::CaseRunner(const Model& model, const SessionOptions& options) : session_(model, options) {}

void CaseRunner::fill_random(int64_t n) {
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(session_.vocab_size() - 1));
  tokens_.resize(static_cast<size_t>(n));
  for (int32_t& t : tokens_) t = id(rng_);
}

int64_t CaseRunner::prompt_ns(int64_t n) {
  fill_random(n);
  session_.reset();
  const auto start = Clock::now();
  session_.eval(tokens_);
  return ns_since(start);
}

int64_t CaseRunner::generate_ns(int64_t n) {
  fill_random(n);
  session_.reset();
  const auto start = Clock::now();
  for (int64_t i = 0; i < n; ++i) session_.eval({tokens_.data() + i, 1});
  return ns_since(start);
}

CaseResult CaseRunner::measure(const BenchCase& test, int repetitions, bool warmup) {
  CaseResult r;
  r.test = test;
  r.n_threads = session_.n_threads();
  r.test_time = utc_now();
  const bool prompt = test.n_prompt > 0;
  if (warmup) {
    if (prompt) {
      prompt_ns(test.n_prompt);
    } else {
      generate_ns(std::min<int64_t>(test.n_gen, 16));
    }
  }
  const uint64_t regions_before = parallel_region_count().load(std::memory_order_relaxed);
  const double cpu_before = process_cpu_s();
  for (int i = 0; i < repetitions; ++i) {
    r.samples_ns.push_back(prompt ? prompt_ns(test.n_prompt) : generate_ns(test.n_gen));
  }
  double wall_ns = 0.0;
  for (const int64_t ns : r.samples_ns) wall_ns += static_cast<double>(ns);
  r.cpu_share = (process_cpu_s() - cpu_before) / (1e-9 * wall_ns * r.n_threads);
  if (!prompt) {
    const uint64_t regions = parallel_region_count().load(std::memory_order_relaxed) - regions_before;
    r.regions_per_token = static_cast<double>(regions) / static_cast<double>(test.n_gen * repetitions);
  }
  return r;
}

} // namespace lathe::bench
