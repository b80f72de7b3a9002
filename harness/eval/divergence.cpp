#include "harness/eval/divergence.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace lathe::harness {
namespace {

constexpr double kMinProb = 1e-30;

} // namespace

double log_sum_exp(std::span<const float> logits) {
  if (logits.empty()) return -INFINITY;
  const float m = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x) - m);
  return m + std::log(sum);
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void top_k_logprobs(std::span<const float> logits, double lse, int32_t k, int32_t* ids, float* logprobs) {
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const auto more_likely = [&](int32_t a, int32_t b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
           (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), more_likely);
  for (int32_t i = 0; i < k; ++i) {
    ids[i] = order[static_cast<size_t>(i)];
    logprobs[i] = static_cast<float>(static_cast<double>(logits[static_cast<size_t>(ids[i])]) - lse);
  }
}

double bucketed_kl(std::span<const float> ref_logprobs, std::span<const double> cand_logprobs) {
  double kl = 0.0, p_sum = 0.0, q_sum = 0.0;
  for (size_t i = 0; i < ref_logprobs.size(); ++i) {
    const double lp = ref_logprobs[i];
    const double lq = std::max(cand_logprobs[i], std::log(kMinProb));
    const double p = std::exp(lp);
    kl += p * (lp - lq);
    p_sum += p;
    q_sum += std::exp(cand_logprobs[i]);
  }
  const double p_tail = 1.0 - p_sum;
  if (p_tail > kMinProb) {
    const double q_tail = std::max(1.0 - q_sum, kMinProb);
    kl += p_tail * (std::log(p_tail) - std::log(q_tail));
  }
  // The estimate is a KL between two distributions and so >= 0, up to rounding.
  return std::max(kl, 0.0);
}

void DivergenceStats::merge(const DivergenceStats& o) {
  positions += o.positions;
  kl_sum += o.kl_sum;
  kl_max = std::max(kl_max, o.kl_max);
  top1_matches += o.top1_matches;
  nll_sum += o.nll_sum;
  nll_count += o.nll_count;
}

double DivergenceStats::perplexity() const {
  return nll_count ? std::exp(nll_sum / static_cast<double>(nll_count)) : 0.0;
}

} // namespace lathe::harness
