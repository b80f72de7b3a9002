#include "harness/eval/speed.h"

#include <fmt/format.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>

#include "engine/generate/adapters.h"
#include "engine/generate/generate.h"
#include "engine/runtime/session.h"
#include "harness/eval/memory.h"

namespace lathe::harness {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// User + system CPU seconds of this process so far, all threads.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

} // namespace

double GenerationRecord::timer_mismatch() const {
  return wall_s > 0 ? std::abs(wall_s - (first_token_s + decode_s)) / wall_s : 0.0;
}

RunRecord run_workload(const Model& model, const Tokenizer& tokenizer, const EngineSetup& setup,
                       const Workload& workload, int64_t index, bool warmup) {
  RunRecord run;
  run.index = index;
  run.warmup = warmup;
  run.peak_memory_reset = reset_peak_rss();
  const Clock::time_point run_start = Clock::now();
  const double cpu_start = cpu_seconds();
  int64_t decoded = 0, prompted = 0;
  double decode_s = 0.0, prefill_s = 0.0, ttft_sum = 0.0;

  for (const WorkloadSequence& w : workload.prompts) {
    GenerationRecord g;
    g.prompt = w.prompt->name;
    // Fresh state for every generation: nothing carries over between runs.
    Session session(model, setup.session);
    Sampler sampler(session.vocab_size(), sampler_params(setup, &g.seed));
    SessionEvaluator evaluator(session);
    TokenizerText text(tokenizer);
    GenerateOptions options;
    options.max_new_tokens = workload.max_new_tokens;
    options.ignore_eos = true;

    const Clock::time_point start = Clock::now();
    const GenerateResult r = generate(evaluator, text, sampler, w.tokens, options);
    g.wall_s = seconds(start, Clock::now());

    g.n_prompt = r.timings.n_prompt;
    g.n_generated = static_cast<int64_t>(r.tokens.size());
    g.n_decoded = r.timings.n_decoded;
    g.prefill_s = r.timings.prefill_s;
    g.first_token_s = r.timings.first_token_s;
    g.decode_s = r.timings.decode_s;
    if (g.n_generated != workload.max_new_tokens || g.n_decoded != workload.max_new_tokens - 1 ||
        g.n_prompt != static_cast<int64_t>(w.tokens.size()) || r.stop != StopReason::kTokenBudget) {
      throw WorkloadError(fmt::format(
          "{}: generated {} tokens ({} decoded) from a {}-token prompt, stopped by {}; the workload is {} tokens "
          "from {}",
          w.name, g.n_generated, g.n_decoded, g.n_prompt, stop_reason_name(r.stop), workload.max_new_tokens,
          w.tokens.size()));
    }
    g.n_reply = static_cast<int64_t>(first_end_of_turn(tokenizer, r.tokens));
    g.reply = reply_text(tokenizer, r.tokens);
    for (const Check& c : w.prompt->checks) {
      const CheckResult cr = run_check(c, g.reply);
      g.checks.push_back({describe(c), cr.pass, cr.detail});
      run.checks_passed += cr.pass;
      ++run.checks_total;
    }
    decoded += g.n_decoded;
    decode_s += g.decode_s;
    prompted += g.n_prompt;
    prefill_s += g.prefill_s;
    ttft_sum += g.first_token_s;
    run.generations.push_back(std::move(g));
  }
  run.wall_s = seconds(run_start, Clock::now());
  run.cpu_s = cpu_seconds() - cpu_start;
  run.generation_tps = decode_s > 0 ? static_cast<double>(decoded) / decode_s : 0.0;
  run.prompt_tps = prefill_s > 0 ? static_cast<double>(prompted) / prefill_s : 0.0;
  run.ttft_ms = workload.prompts.empty() ? 0.0 : 1e3 * ttft_sum / static_cast<double>(workload.prompts.size());
  run.peak_memory_gb = static_cast<double>(peak_rss_bytes()) / 1e9;
  return run;
}

} // namespace lathe::harness
