// The timed runs. A run generates a reply to every prompt of the suite, each
// in a fresh session with a fresh sampler, through the engine's generate()
// with ignore_eos: every generation produces exactly max_new_tokens tokens,
// whatever the model or the configuration does, so the work per run is
// fixed. The checks read the reply up to the first end-of-turn token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/eval/checks.h"
#include "harness/eval/engine_setup.h"
#include "harness/eval/workload.h"

namespace lathe::harness {

// A generation that did not do the fixed work (a wrong token count): the
// measurement is void.
class WorkloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CheckOutcome {
  std::string check; // describe(check)
  bool pass = false;
  std::string detail;
};

struct GenerationRecord {
  std::string prompt;      // the prompt's name
  int64_t n_prompt = 0;    // prompt tokens evaluated
  int64_t n_generated = 0; // tokens generated (== max_new_tokens)
  int64_t n_decoded = 0;   // of which evaluated one at a time (the first comes from the prompt's logits)
  int64_t n_reply = 0;     // tokens before the first end-of-turn
  double prefill_s = 0.0;
  double first_token_s = 0.0;
  double decode_s = 0.0;
  double wall_s = 0.0;     // measured by the harness around generate()
  uint64_t seed = 0;
  std::string reply;       // the text the checks read
  std::vector<CheckOutcome> checks;

  double timer_mismatch() const; // |wall - (first_token + decode)| / wall
};

struct RunRecord {
  int64_t index = 0;       // 0-based among runs of its kind
  bool warmup = false;
  std::vector<GenerationRecord> generations;
  double generation_tps = 0.0; // sum(n_decoded) / sum(decode_s)
  double prompt_tps = 0.0;     // sum(n_prompt) / sum(prefill_s)
  double ttft_ms = 0.0;        // mean first-token latency over the prompts
  double peak_memory_gb = 0.0; // resident high-water mark during the run, 1e9 bytes
  bool peak_memory_reset = false; // the high-water mark was reset at the start of the run
  int64_t checks_passed = 0;
  int64_t checks_total = 0;
  double wall_s = 0.0;
  double cpu_s = 0.0;          // CPU time of the whole process (every thread) during the run
};

RunRecord run_workload(const Model& model, const Tokenizer& tokenizer, const EngineSetup& setup,
                       const Workload& workload, int64_t index, bool warmup);

} // namespace lathe::harness
