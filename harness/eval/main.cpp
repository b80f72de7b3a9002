// lathe-eval: the frozen evaluation (docs/harness.md).
//
//   lathe-eval                      the full suite (harness/suite.yaml), or LATHE_EVAL_SUITE
//   lathe-eval --suite quick        the quick suite (harness/suite-quick.yaml)
//   lathe-eval --record-reference   record the suite's reference (a LATHE_ISA=scalar build)
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>

#include "harness/eval/eval.h"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

} // namespace

int main(int argc, char** argv) {
  lathe::harness::EvalOptions o;
  o.root = env_or("LATHE_SOURCE_DIR", LATHE_SOURCE_DIR);
  std::string models_dir, results_file, json_file;
  bool no_results = false, record = false;
  o.suite = env_or("LATHE_EVAL_SUITE", "full");
  o.baseline = env_or("LATHE_EVAL_BASELINE", "");
  o.experiment = env_or("LATHE_EXPERIMENT", "");

  CLI::App app{"lathe-eval: the frozen evaluation of Lathe's speed and quality (docs/harness.md)"};
  app.add_option("--suite", o.suite, "full, quick, or a suite file under harness/ (default: $LATHE_EVAL_SUITE or full)");
  app.add_option("--config", o.config_file, "YAML configuration instead of configs/engine.yaml (flagged)");
  app.add_option("--set", o.overrides, "Override one knob, e.g. --set threads.count=2 (repeatable; flagged)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--models-dir", models_dir, "Where the models are (default: $LATHE_MODELS_DIR or models/)");
  app.add_option("--results", results_file, "results.tsv to append to (default: results.tsv at the repository root)");
  app.add_flag("--no-results", no_results, "Do not append to results.tsv");
  app.add_option("--json", json_file, "JSON report (default: results/<suite>-<time>-<commit>.json)");
  app.add_option("--baseline", o.baseline,
                 "Commit to compare with (default: $LATHE_EVAL_BASELINE, else the newest passing results row, else HEAD)");
  app.add_option("--experiment", o.experiment, "Experiment name for results.tsv (default: $LATHE_EXPERIMENT or eval)");
  app.add_option("--description", o.description, "What was tried (default: the commit's subject)");
  app.add_option("--root", o.root, "The source tree (default: the one lathe-eval was built from)");
  app.add_flag("--record-reference", record, "Record the suite's reference distributions (needs LATHE_ISA=scalar)");
  app.add_flag("--force", o.force, "With --record-reference: allow a build that is not scalar");
  CLI11_PARSE(app, argc, argv);

  o.models_dir = !models_dir.empty() ? models_dir : env_or("LATHE_MODELS_DIR", (o.root / "models").string());
  if (!no_results) o.results_file = !results_file.empty() ? std::filesystem::path(results_file) : o.root / "results.tsv";
  o.json_file = json_file;
  try {
    return record ? lathe::harness::record_reference_main(o) : lathe::harness::run_eval(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "lathe-eval: error: {}\n", e.what());
    return 2;
  }
}
