// The change monitor: what differs between the baseline this evaluation is
// compared against and what was measured. Reported with every evaluation so
// that a reader sees at once what was tried:
//   - configuration knobs, old -> new (baseline configs/engine.yaml vs the
//     effective configuration, --set overrides included);
//   - files touched in kernels/ and configs/ (the surface);
//   - files touched anywhere else, flagged: the harness itself (harness/) or
//     the engine are not the surface;
//   - the workload fingerprint, compared with the baseline's results row;
//   - trade-off warnings about the effective configuration.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "harness/eval/engine_setup.h"

namespace lathe::harness {

struct ConfigChange {
  std::string knob;
  std::string old_value;
  std::string new_value;
};

struct MonitorInput {
  std::filesystem::path root;          // the source tree
  std::filesystem::path results_file;  // results.tsv: where baselines come from
  std::string baseline;                // --baseline / LATHE_EVAL_BASELINE; empty = automatic
  std::string suite_name;
  std::filesystem::path config_path;   // the YAML file the configuration came from
  std::vector<std::string> overrides;  // --set key=value
  const RuntimeConfig* config = nullptr; // the effective configuration
  const EngineSetup* setup = nullptr;
  std::string workload;                // this evaluation's workload fingerprint
  int64_t longest_sequence = 0;        // the workload's longest prompt + reply, in tokens
};

struct ChangeReport {
  bool git = false;                     // false: no git, only the warnings are available
  std::string head;                     // full hash of HEAD
  bool dirty = false;                   // uncommitted changes
  std::string baseline;                 // full hash, empty when none
  std::string baseline_source;          // how it was chosen
  std::optional<std::string> baseline_workload; // the baseline row's fingerprint, if a row exists
  bool workload_changed = false;
  std::vector<ConfigChange> config_changes;
  std::vector<std::string> config_files;   // "M configs/engine.yaml"
  std::vector<std::string> kernel_files;   // "M kernels/x86/avx512/matvec_k.cpp"
  std::vector<std::string> harness_files;  // flagged
  std::vector<std::string> outside_files;  // flagged: neither the surface nor the harness
  std::vector<std::string> flags;          // one line per flagged fact
  std::vector<std::string> warnings;       // trade-offs of the effective configuration
};

ChangeReport monitor_changes(const MonitorInput& in);

// The trade-off warnings alone (also used without git).
std::vector<std::string> tradeoff_warnings(const RuntimeConfig& config, const EngineSetup& setup,
                                           int64_t longest_sequence);

} // namespace lathe::harness
