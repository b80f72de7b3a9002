// `lathe bench -m MODEL [-p 512] [-n 128] [-t 1,2] [-r 5] [-o md|json|csv]`:
// llama-bench's prompt-processing (ppN) and generation (tgN) tests, so that
// the two tables can be compared side by side. The work is in engine/bench.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "engine/bench/bench_report.h"
#include "engine/bench/thread_overhead.h"
#include "engine/cli/commands.h"
#include "engine/cli/run_options.h"

namespace lathe::cli {
namespace {

struct BenchOptions {
  std::string model;
  ConfigOptions config;
  std::string n_prompt = "512";
  std::string n_gen = "128";
  std::string threads; // empty: threads.count of the configuration
  int repetitions = 5;
  bool no_warmup = false;
  std::string output = "md";
};

// The session for every test at one thread count: a context that holds the
// largest test (llama-bench's n_prompt + n_gen) unless context.length says otherwise.
SessionOptions bench_session(const RuntimeConfig& config, const std::vector<bench::BenchCase>& tests) {
  int64_t needed = 0;
  for (const bench::BenchCase& t : tests) needed = std::max(needed, t.n_tokens());
  SessionOptions o = session_options(config);
  if (config.context.length == 0) {
    o.n_ctx = needed;
  } else if (config.context.length < needed) {
    throw std::invalid_argument(fmt::format(
        "context.length {} cannot hold the largest test ({} tokens); raise it or leave it at 0 (as large as the tests)",
        config.context.length, needed));
  }
  return o;
}

int run_bench(const BenchOptions& o) {
  constexpr int64_t kMaxTokens = int64_t{1} << 20;
  const auto n_prompt = bench::parse_int_list("-p/--n-prompt", o.n_prompt, 0, kMaxTokens);
  const auto n_gen = bench::parse_int_list("-n/--n-gen", o.n_gen, 0, kMaxTokens);
  const bool threads_given = !o.threads.empty();
  const auto threads = threads_given ? bench::parse_int_list("-t/--threads", o.threads, 0, 256) : std::vector<int64_t>{-1};
  if (o.repetitions < 1 || o.repetitions > 1000) {
    throw std::invalid_argument(fmt::format("-r/--repetitions {}: expected an integer in [1, 1000]", o.repetitions));
  }
  const bench::OutputFormat format = bench::parse_output_format(o.output);
  const std::vector<bench::BenchCase> tests = bench::expand_cases(n_prompt, n_gen, threads);

  // Every thread count's configuration validates before anything is loaded.
  std::vector<RuntimeConfig> configs;
  for (const int64_t t : threads) {
    RunOptions run;
    run.model = o.model;
    run.config = o.config;
    if (t >= 0) run.threads = static_cast<int>(t);
    configs.push_back(resolve_config(run));
  }

  const Model model = Model::load(o.model, kernels::active_kernels(), {},
                                  configs.front().kernels.matvec_layout == MatvecLayout::kRepacked);
  bench::BenchReport report{bench::host_info(), bench::model_info(model, o.model), {}};
  for (size_t i = 0; i < threads.size(); ++i) {
    std::vector<bench::BenchCase> group;
    for (const bench::BenchCase& t : tests) {
      if (t.threads == static_cast<int>(threads[i])) group.push_back(t);
    }
    bench::CaseRunner runner(model, bench_session(configs[i], group));
    const double region_ns = bench::empty_region_ns(runner.n_threads());
    for (const bench::BenchCase& t : group) {
      report.records.push_back({.result = runner.measure(t, o.repetitions, !o.no_warmup),
                                .threads_pinned = configs[i].threads.pin,
                                .empty_region_ns = region_ns,
                                .config_yaml = to_yaml(configs[i])});
    }
  }
  bench::print_report(stdout, report, format);
  return 0;
}

} // namespace

Command add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure prompt (ppN) and generation (tgN) speed, as llama-bench does");
  auto o = std::make_shared<BenchOptions>();
  cmd->add_option("-m,--model", o->model, "Path to the .gguf model file")->required();
  cmd->add_option("-p,--n-prompt", o->n_prompt, "Prompt sizes, comma-separated (ppN tests; 0 = none)")
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", o->n_gen, "Generation lengths, comma-separated (tgN tests; 0 = none)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", o->threads,
                  "Thread counts, comma-separated (threads.count; 0 = one per core; default: the configuration's)");
  cmd->add_option("-r,--repetitions", o->repetitions, "Timed runs per test")->capture_default_str();
  cmd->add_flag("--no-warmup", o->no_warmup, "Skip the untimed warm-up run before each test");
  cmd->add_option("-o,--output", o->output, "Output format: md, json (with the raw samples) or csv")
      ->capture_default_str();
  add_config_options(*cmd, o->config);
  cmd->footer(
      "Each test starts from an empty cache with random token ids. ppN evaluates N prompt tokens (in chunks of\n"
      "prefill.chunk_size); tgN evaluates N tokens one at a time. t/s is the mean over the runs ± the sample\n"
      "standard deviation; weights GB/s = weight bytes per token x t/s for tg tests. Each run is timed after a\n"
      "warm-up run (the whole prompt for pp, up to 16 tokens for tg).");
  return {cmd, [o] { return run_bench(*o); }};
}

} // namespace lathe::cli
