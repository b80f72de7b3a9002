// The evaluation suite: harness/suite.yaml (the reference) or
// harness/suite-quick.yaml. It fixes the whole workload: the model (by
// SHA-256), the runs, the token budget, the prompts and their checks, the
// reference text, the recorded reference distributions and the thresholds.
// Nothing in configs/ or kernels/ can change any of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/eval/checks.h"

namespace lathe::harness {

// Thrown for a suite file that does not validate; the message names the
// file, the line and the key.
class SuiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SuitePrompt {
  std::string name;   // short id, e.g. "explain"
  std::string kind;   // explanation | summarisation | reasoning | poem | code
  std::string system; // system message; empty = none (the chat template may add its default)
  std::string user;   // the user message, with {document} replaced by the document's text
  std::string document_file; // relative to harness/, or empty
  std::vector<Check> checks;
};

// Quality gates: quality_pass needs all of them (docs/harness.md says why each value).
struct Thresholds {
  double kl_divergence_max = 0.0;        // mean bucketed KL (nats) over all positions, and over decode positions
  double top1_agreement_min = 0.0;       // share of positions whose argmax is the reference's
  double ref_perplexity_max = 0.0;       // perplexity on the reference text
  double sanity_check_min = 0.0;         // share of prompt checks passed across runs
};

// When a measurement is not to be trusted (reported; does not fail quality).
struct TrustLimits {
  double generation_tps_cv_max = 0.0; // run-to-run spread of the decode speed
  double bandwidth_share_max = 0.0;   // achieved / measured ceiling; above ~1 the weights were not all read
  double timer_mismatch_max = 0.0;    // engine-reported vs harness wall-clock time of a generation
  double cpu_share_min = 0.0;         // CPU time the runs got / (wall time x threads); below: a shared machine
};

struct Suite {
  std::filesystem::path file;        // the suite file
  std::filesystem::path harness_dir; // its directory: relative paths start here
  std::string name;                  // "full", "quick"
  std::string description;

  std::string model_file;   // file name under the models directory
  std::string model_sha256;

  int64_t warmup_runs = 0;
  int64_t measured_runs = 0;
  int64_t max_new_tokens = 0;

  std::string reference_text_file; // relative to harness/
  int64_t reference_window = 0;    // teacher-forced tokens per fresh context
  int64_t reference_max_tokens = 0; // 0 = the whole text

  std::string reference_file; // recorded distributions, relative to harness/
  int32_t reference_top_k = 0;

  int64_t bandwidth_buffer_mib = 0;
  int64_t bandwidth_passes = 0;

  Thresholds thresholds;
  TrustLimits trust;
  std::vector<SuitePrompt> prompts;

  // Reads a file relative to harness/.
  std::string read_harness_file(const std::string& relative) const;
  std::string reference_text() const { return read_harness_file(reference_text_file); }

  // The SHA-256 of everything the recorded reference depends on: model
  // digest, prompt texts, token budget, reference text, window, top-k. A
  // reference recorded for another workload does not apply.
  std::string reference_digest() const;
};

// Loads and validates a suite. Unknown keys, missing keys and out-of-range
// values are errors.
Suite load_suite(const std::filesystem::path& file);

} // namespace lathe::harness
