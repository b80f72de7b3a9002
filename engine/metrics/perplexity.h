// Perplexity as llama.cpp's perplexity tool measures it: the token stream is
// cut into non-overlapping windows of n_ctx tokens; each window is evaluated
// from an empty context (its first token replaced by BOS when the model adds
// one), and only the second half is scored: the logits at positions
// n_ctx/2 .. n_ctx-2 predict the tokens that follow them. The result is
// exp(mean negative log-likelihood) with the standard error of that mean
// carried through the exponential.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "engine/runtime/session.h"

namespace lathe {

// Running negative log-likelihood of scored tokens.
class NllAccumulator {
 public:
  // Scores `target` under the distribution softmax(logits) (log-sum-exp in double).
  void add(std::span<const float> logits, int32_t target);

  int64_t count() const { return count_; }
  double mean_nll() const;
  double perplexity() const;
  // Standard error of the perplexity: ppl * sqrt(var(nll) / (count - 1)), as llama.cpp reports it.
  double perplexity_error() const;

 private:
  int64_t count_ = 0;
  double sum_ = 0.0;    // sum of nll
  double sum_sq_ = 0.0; // sum of nll^2
};

struct PerplexityOptions {
  int64_t n_ctx = 512;    // window length; the session's context must hold it
  int64_t max_chunks = -1; // windows to score; -1 = every whole window of the text
  int32_t bos = -1;       // put this id first in every window (the model's BOS when it adds one); -1 = none
};

struct PerplexityProgress {
  int64_t chunk = 0;     // windows done (1-based count)
  int64_t n_chunks = 0;  // windows in all
  double perplexity = 0.0; // over the windows so far
  double seconds = 0.0;  // time of this window
};

struct PerplexityResult {
  int64_t n_tokens = 0;  // tokens of the text
  int64_t n_chunks = 0;
  int64_t n_scored = 0;
  double perplexity = 0.0;
  double perplexity_error = 0.0;
  double seconds = 0.0;
};

// Throws std::invalid_argument when the text has fewer than 2 * n_ctx tokens
// (as llama.cpp), n_ctx is below 4, or the session's context is shorter than n_ctx.
PerplexityResult perplexity(Session& session, std::span<const int32_t> tokens, const PerplexityOptions& options,
                            const std::function<void(const PerplexityProgress&)>& on_chunk = {});

} // namespace lathe
