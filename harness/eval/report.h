// What an evaluation reports: the summary (one `key: value` line per metric,
// printed last), a human-readable account of what changed and what failed,
// the JSON report with every run and the effective configuration, and the
// row for results.tsv.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/eval/bandwidth.h"
#include "harness/eval/engine_setup.h"
#include "harness/eval/lock.h"
#include "harness/eval/monitor.h"
#include "harness/eval/quality.h"
#include "harness/eval/speed.h"
#include "harness/eval/stats.h"

namespace lathe::harness {

struct EvalResult {
  // Identity.
  std::string suite;          // suite name ("full", "quick")
  std::string suite_file;
  std::string experiment;
  std::string description;
  std::string commit;         // short hash, '+' appended when the tree had uncommitted changes
  std::string time_utc;       // ISO 8601
  std::string isa;            // the kernel variant compiled in
  std::string host;           // CPU model and core count

  // Integrity.
  LockReport lock;            // lock.intact is harness_intact
  std::string model_path;
  std::string model_sha256;

  // Configuration.
  std::string config_path;
  std::vector<std::string> overrides;
  std::string config_yaml;    // the effective configuration, every knob
  EngineSetup setup;

  // Workload.
  std::string workload;       // fingerprint (sha256 prefix)
  nlohmann::json workload_detail;

  // Measurements.
  BandwidthCeiling ceiling;
  int64_t weight_bytes_per_token = 0;
  std::vector<RunRecord> warmups;
  std::vector<RunRecord> runs;
  Summary generation_tps, prompt_tps, ttft_ms, peak_memory_gb;
  double bandwidth_gbs = 0.0;
  double bandwidth_share = 0.0;
  double max_timer_mismatch = 0.0;
  double cpu_share = 0.0;     // CPU time of the measured runs / (their wall time x threads)

  // Quality.
  bool quality_ran = false;
  QualityResult quality;
  double reference_perplexity = 0.0;
  double sanity_check = 0.0;
  bool quality_pass = false;
  std::vector<std::string> quality_failures;

  // Trust.
  bool measurement_trusted = false;
  std::vector<std::string> trust_problems;

  ChangeReport changes;
  std::string error;          // non-empty: the evaluation could not finish
  double eval_seconds = 0.0;

  bool harness_intact() const { return lock.intact; }
  // pass | fail (quality) | harness_modified | error
  std::string status() const;
};

nlohmann::json to_json(const EvalResult& r);

// (key, value) in print order; values already formatted.
std::vector<std::pair<std::string, std::string>> summary_lines(const EvalResult& r);

// The results.tsv fields, in results_columns() order.
std::vector<std::string> results_row(const EvalResult& r);

// The human-readable part: changes, warnings, failed checks, gates.
void print_details(const EvalResult& r, std::FILE* out);

} // namespace lathe::harness
