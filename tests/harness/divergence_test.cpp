// The bucketed KL estimator, top-k extraction and the running sums:
// analytic values on distributions small enough to work out by hand.
#include "harness/eval/divergence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace lathe::harness {
namespace {

// Full log-softmax of `logits`, in double.
std::vector<double> log_softmax(const std::vector<float>& logits) {
  const double lse = log_sum_exp(logits);
  std::vector<double> out;
  for (float x : logits) out.push_back(x - lse);
  return out;
}

// The reference's top-k of `ref_logits` compared with `cand_logits`, as the eval does.
double topk_kl(const std::vector<float>& ref_logits, const std::vector<float>& cand_logits, int32_t k) {
  std::vector<int32_t> ids(static_cast<size_t>(k));
  std::vector<float> lps(static_cast<size_t>(k));
  top_k_logprobs(ref_logits, log_sum_exp(ref_logits), k, ids.data(), lps.data());
  const std::vector<double> cand = log_softmax(cand_logits);
  std::vector<double> cand_k;
  for (int32_t id : ids) cand_k.push_back(cand[static_cast<size_t>(id)]);
  return bucketed_kl(lps, cand_k);
}

double exact_kl(const std::vector<float>& p_logits, const std::vector<float>& q_logits) {
  const auto lp = log_softmax(p_logits), lq = log_softmax(q_logits);
  double kl = 0;
  for (size_t i = 0; i < lp.size(); ++i) kl += std::exp(lp[i]) * (lp[i] - lq[i]);
  return kl;
}

TEST(LogSumExp, MatchesTheDefinitionAndSurvivesLargeLogits) {
  const std::vector<float> v = {0.0f, std::log(3.0f)};
  EXPECT_NEAR(log_sum_exp(v), std::log(4.0), 1e-7);
  const std::vector<float> big = {1000.0f, 1000.0f};
  EXPECT_NEAR(log_sum_exp(big), 1000.0 + std::log(2.0), 1e-9);
}

TEST(Argmax, LowestIdWinsTies) {
  const std::vector<float> v = {1.0f, 3.0f, 3.0f, 2.0f};
  EXPECT_EQ(argmax(v), 1);
}

TEST(TopK, MostLikelyFirstTiesByLowestId) {
  const std::vector<float> v = {0.5f, 2.0f, 1.0f, 2.0f, -1.0f};
  int32_t ids[3];
  float lps[3];
  top_k_logprobs(v, log_sum_exp(v), 3, ids, lps);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], 3);
  EXPECT_EQ(ids[2], 2);
  EXPECT_NEAR(lps[0], 2.0 - log_sum_exp(v), 1e-6);
}

TEST(BucketedKl, IdenticalDistributionsGiveZero) {
  const std::vector<float> v = {3.0f, 1.0f, 0.5f, -2.0f, 0.0f, 2.5f};
  EXPECT_NEAR(topk_kl(v, v, 3), 0.0, 1e-9);
}

TEST(BucketedKl, EqualsTheExactKlWhenTheTopKIsTheWholeVocabulary) {
  const std::vector<float> p = {2.0f, 1.0f, 0.0f, -1.0f};
  const std::vector<float> q = {1.5f, 1.2f, 0.3f, -0.5f};
  EXPECT_NEAR(topk_kl(p, q, 4), exact_kl(p, q), 1e-6);
}

TEST(BucketedKl, TwoBucketsByHand) {
  // Reference: p(top) = 0.8, tail 0.2. Candidate: q(top) = 0.5, tail 0.5.
  // KL = 0.8 log(0.8 / 0.5) + 0.2 log(0.2 / 0.5).
  const std::vector<float> ref = {std::log(0.8f)};
  const std::vector<double> cand = {std::log(0.5)};
  const double expected = 0.8 * std::log(0.8 / 0.5) + 0.2 * std::log(0.2 / 0.5);
  EXPECT_NEAR(bucketed_kl(ref, cand), expected, 1e-6);
}

TEST(BucketedKl, IsALowerBoundOfTheExactKl) {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.0f, 2.0f);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> p(64), q(64);
    for (size_t i = 0; i < p.size(); ++i) {
      p[i] = n(rng);
      q[i] = p[i] + 0.5f * n(rng);
    }
    EXPECT_LE(topk_kl(p, q, 8), exact_kl(p, q) + 1e-9);
  }
}

TEST(BucketedKl, LastBitNoiseIsNegligibleAndRealDamageIsNot) {
  // A kernel that changes the last bits of the logits must not move the
  // estimate; one that scrambles them must move it a lot.
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.0f, 3.0f);
  std::vector<float> ref(1000), ulp(1000), damaged(1000);
  for (size_t i = 0; i < ref.size(); ++i) {
    ref[i] = n(rng);
    ulp[i] = std::nextafter(ref[i], 100.0f);
    damaged[i] = ref[i] + 0.8f * n(rng);
  }
  EXPECT_LT(topk_kl(ref, ulp, 20), 1e-9);
  EXPECT_GT(topk_kl(ref, damaged, 20), 0.1);
}

TEST(BucketedKl, MassMovedIntoTheTailIsCharged) {
  // The candidate gives the reference's top token almost nothing.
  const std::vector<float> ref = {std::log(0.9f)};
  const std::vector<double> cand = {std::log(1e-6)};
  EXPECT_GT(bucketed_kl(ref, cand), 5.0);
}

TEST(DivergenceStats, MeansAndPerplexity) {
  DivergenceStats s;
  s.add(0.1, true);
  s.add(0.3, false);
  s.add_nll(std::log(4.0));
  s.add_nll(std::log(16.0));
  EXPECT_NEAR(s.mean_kl(), 0.2, 1e-12);
  EXPECT_EQ(s.kl_max, 0.3);
  EXPECT_EQ(s.top1_agreement(), 0.5);
  EXPECT_NEAR(s.perplexity(), 8.0, 1e-9); // exp(mean(log 4, log 16)) = sqrt(64)
  DivergenceStats t;
  t.add(0.5, true);
  s.merge(t);
  EXPECT_EQ(s.positions, 3);
  EXPECT_NEAR(s.mean_kl(), 0.3, 1e-12);
}

} // namespace
} // namespace lathe::harness
