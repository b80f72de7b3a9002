// One `lathe bench` result: the host, the model, the test and its samples,
// with the statistics llama-bench reports (t/s per sample, then mean and
// sample standard deviation over the samples).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/bench/bench_runner.h"
#include "engine/model/model.h"

namespace lathe::bench {

struct HostInfo {
  std::string commit; // short hash the binary was built from, "+" for uncommitted changes
  std::string cpu;    // /proc/cpuinfo's model name
  std::string isa;    // kernel variant compiled in (LATHE_ISA)
  // $OMP_WAIT_POLICY ("" when unset): how idle OpenMP threads wait, which
  // decides multi-threaded speed on a busy machine (docs/performance.md).
  std::string omp_wait_policy;
};
HostInfo host_info();

struct ModelInfo {
  std::string filename;
  std::string type;                 // "qwen2 494M Q4_K - Medium": architecture, parameters, file type
  uint64_t size = 0;                // bytes of all tensors
  int64_t n_params = 0;
  int64_t weight_bytes_per_token = 0; // weights one decoded token reads (every matrix once, one embedding row)
};
ModelInfo model_info(const Model& model, const std::string& filename);

struct BenchRecord {
  CaseResult result;
  bool threads_pinned = false;
  double empty_region_ns = 0.0; // fork/join of one empty region at result.n_threads
  std::string config_yaml;      // the effective configuration (to_yaml)

  std::vector<double> samples_ts() const; // tokens per second of each sample
  double avg_ns() const;
  double stddev_ns() const;
  double avg_ts() const;
  double stddev_ts() const;
  // Generation tests: weight bytes per token x tokens per second, in 1e9 B/s (0 for prompt tests).
  double weight_gbps(const ModelInfo& model) const;
  // Generation tests: lower bound of the time per token spent forking and
  // joining threads (regions per token x empty region), in ns.
  double threading_overhead_ns() const { return result.regions_per_token * empty_region_ns; }
};

} // namespace lathe::bench
