// Runs `lathe bench` tests on one session: each test starts from an empty
// cache and feeds random token ids (a fixed seed), as llama-bench does; a
// prompt test evaluates its tokens in one eval() (chunked by
// prefill.chunk_size), a generation test one token per eval().
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/bench/bench_spec.h"
#include "engine/model/model.h"
#include "engine/runtime/session.h"

namespace lathe::bench {

struct CaseResult {
  BenchCase test;
  int n_threads = 1;                // resolved (test.threads 0 = one per core)
  std::vector<int64_t> samples_ns;  // (repetitions) wall time of each measured run
  double regions_per_token = 0.0;   // parallel regions per generated token (tg only; 0 with one thread)
  std::string test_time;            // UTC start, ISO 8601
  // CPU time of the process during the timed runs / (their wall time x
  // n_threads): near 1 when every thread had a core (idle OpenMP threads spin,
  // so waiting counts too); well below 1 on a busy machine.
  double cpu_share = 0.0;
};

class CaseRunner {
 public:
  // Throws what Session's constructor throws (a bad context, pinning that fails).
  CaseRunner(const Model& model, const SessionOptions& options);

  // An optional warm-up run (prompt tests: the whole prompt; generation
  // tests: up to 16 tokens), then `repetitions` timed runs.
  CaseResult measure(const BenchCase& test, int repetitions, bool warmup);

  int n_threads() const { return session_.n_threads(); }

 private:
  int64_t prompt_ns(int64_t n);
  int64_t generate_ns(int64_t n);
  void fill_random(int64_t n);

  Session session_;
  std::mt19937_64 rng_{20240611};
  std::vector<int32_t> tokens_; // (n) the ids of the current run
};

} // namespace lathe::bench
