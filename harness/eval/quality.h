// The teacher-forced quality pass, and the recording of the reference.
//
// Every sequence of the workload is fed through a fresh session with the
// reference's tokens (never the candidate's own choices), so the comparison
// is position by position whatever the sampling configuration:
//   - the reference text, window by window, through the prefill path
//     (Session::eval_all, prefill.chunk_size tokens per pass);
//   - each prompt through the prefill path, then the reference's greedy reply
//     one token at a time through the decode path (Session::eval).
// At each position the candidate's logits are compared with the recorded
// top-k (divergence.h); on the reference text the candidate's own
// log-probability of the next token gives ref_perplexity.
#pragma once

#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/eval/divergence.h"
#include "harness/eval/engine_setup.h"
#include "harness/eval/reference.h"
#include "harness/eval/workload.h"

namespace lathe::harness {

struct SegmentQuality {
  std::string name;
  DivergenceStats prefill;
  DivergenceStats decode;
};

struct QualityResult {
  DivergenceStats text;    // reference-text positions (ref_perplexity from here)
  DivergenceStats prefill; // every prefill-path position (text and prompts)
  DivergenceStats decode;  // every decode-path position
  DivergenceStats all;
  std::vector<SegmentQuality> segments;
  // The workload's token ids differ from the recorded ones (the reference
  // does not apply, and quality cannot pass); one line per difference.
  std::vector<std::string> mismatches;
  double seconds = 0.0;
};

QualityResult evaluate_quality(const Model& model, const EngineSetup& setup, const Workload& workload,
                               const Reference& reference);

// Records the reference for this workload: greedy replies of max_new_tokens
// tokens (end-of-turn does not stop them), top-k at every position.
// `progress` is called with each finished segment's name.
Reference record_reference(const Model& model, const Tokenizer& tokenizer, const EngineSetup& setup,
                           const Workload& workload, int32_t k, void (*progress)(const std::string&) = nullptr);

} // namespace lathe::harness
