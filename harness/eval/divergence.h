// Comparing the current build's next-token distributions with the recorded
// reference (harness/data/reference/, written from the scalar f32 path).
//
// The reference keeps, at every position, only the top-k token ids and their
// log-probabilities (natural log, normalised over the full vocabulary). The
// KL divergence is therefore estimated on k + 1 buckets: the reference's k
// tokens, and one "tail" bucket holding everything else:
//
//   KL(P || Q) ~= sum_{i in topk} p_i (log p_i - log q_i) + p_tail (log p_tail - log q_tail)
//   p_tail = 1 - sum_{i in topk} p_i,   q_tail = 1 - sum_{i in topk} q_i
//
// where q_i is the candidate's probability of the same id, from the
// candidate's full-vocabulary log-softmax (its logits are all at hand). This
// is the exact KL between the two distributions coarsened onto those buckets,
// hence a lower bound of the full KL (coarsening never increases divergence),
// and it equals the full KL when both agree on the tail's shape. With k = 20
// the tail of a confident position holds a few percent of the mass at most,
// so mass moved into or out of the reference's top-k is still charged.
#pragma once

#include <cstdint>
#include <span>

namespace lathe::harness {

// log(sum(exp(logits))), in double, shifted by the maximum.
double log_sum_exp(std::span<const float> logits);

// The index of the largest logit; the lowest index among equal ones.
int32_t argmax(std::span<const float> logits);

// The k most likely ids of `logits`, most likely first (ties: lowest id
// first), and their log-probabilities logit - lse. PRECONDITION: k <= size.
void top_k_logprobs(std::span<const float> logits, double lse, int32_t k, int32_t* ids, float* logprobs);

// The bucketed KL estimate above, in nats. ref_logprobs: the reference's k
// log-probabilities; cand_logprobs: the candidate's log-probabilities of the
// same ids. Probabilities below 1e-30 in a bucket count as 1e-30, so a
// candidate that puts (almost) no mass where the reference has some gets a
// large, finite divergence.
double bucketed_kl(std::span<const float> ref_logprobs, std::span<const double> cand_logprobs);

// Running sums over positions.
struct DivergenceStats {
  int64_t positions = 0;
  double kl_sum = 0.0;
  double kl_max = 0.0;
  int64_t top1_matches = 0;
  double nll_sum = 0.0; // -log q(next token), over positions whose next token is known
  int64_t nll_count = 0;

  void add(double kl, bool top1_match) {
    ++positions;
    kl_sum += kl;
    if (kl > kl_max) kl_max = kl;
    if (top1_match) ++top1_matches;
  }
  void add_nll(double nll) {
    nll_sum += nll;
    ++nll_count;
  }
  void merge(const DivergenceStats& o);

  double mean_kl() const { return positions ? kl_sum / static_cast<double>(positions) : 0.0; }
  double top1_agreement() const { return positions ? static_cast<double>(top1_matches) / static_cast<double>(positions) : 0.0; }
  double perplexity() const; // exp(mean nll); 0 when no position counted
};

} // namespace lathe::harness
