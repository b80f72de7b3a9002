#include "engine/generate/report.h"

#include <fmt/format.h>

namespace lathe {

void print_generation_report(std::FILE* out, const GenerateResult& r, int n_threads) {
  const GenerationTimings& t = r.timings;
  if (r.n_prompt_dropped > 0) {
    fmt::print(out, "lathe: the prompt was truncated: its first {} tokens were dropped\n", r.n_prompt_dropped);
  }
  fmt::print(out, "lathe: prompt      {:6} tokens in {:8.3f} s  ({:.2f} tokens/s, {} thread{})\n", t.n_prompt,
             t.prefill_s, t.prefill_tokens_per_s(), n_threads, n_threads == 1 ? "" : "s");
  if (t.n_prompt_reused >= 0) {
    fmt::print(out, "lathe: prompt cache {:6} tokens reused ({} evaluated)\n", t.n_prompt_reused, t.n_prompt);
  }
  fmt::print(out, "lathe: first token after {:.3f} s\n", t.first_token_s);
  fmt::print(out, "lathe: generation  {:6} tokens; {} decode steps in {:.3f} s  ({:.2f} tokens/s, {:.1f} ms/token)\n",
             r.tokens.size(), t.n_decoded, t.decode_s, t.decode_tokens_per_s(), t.decode_ms_per_token());
  fmt::print(out, "lathe: stopped: {}\n", stop_reason_name(r.stop));
}

} // namespace lathe
