// The evaluation, end to end, and the recording of the reference.
//
//   verify harness/LOCK -> load the suite -> check the model's SHA-256 ->
//   load the effective configuration -> quality pass (teacher-forced,
//   against the reference) -> warm-up runs -> bandwidth ceiling -> measured
//   runs -> gates -> change monitor -> details, JSON, results.tsv, summary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lathe::harness {

struct EvalOptions {
  std::filesystem::path root;        // the source tree
  std::string suite;                 // "full", "quick" or a suite file under harness/
  std::filesystem::path models_dir;
  std::filesystem::path results_file; // empty: do not append
  std::filesystem::path json_file;    // empty: results/<suite>-<time>-<commit>.json under root
  std::string config_file;            // empty: default_config_path()
  std::vector<std::string> overrides; // --set
  std::string baseline;
  std::string experiment;
  std::string description;
  bool force = false;                 // --record-reference on a non-scalar build
};

// Exit codes: 0 pass; 1 quality failed or the harness is not intact; 2 the
// evaluation could not run or its result could not be recorded.
int run_eval(const EvalOptions& options);

// Writes the suite's reference file. Needs a build with LATHE_ISA=scalar
// unless options.force. Uses the declared defaults of every knob (f32 KV
// cache, greedy), not configs/.
int record_reference_main(const EvalOptions& options);

// The suite file for a name: "full" -> harness/suite.yaml, "quick" ->
// harness/suite-quick.yaml, anything else is a path.
std::filesystem::path suite_path(const std::filesystem::path& root, const std::string& suite);

} // namespace lathe::harness
