// The sampler: greedy, the filters, the repetition penalty window, seeded
// reproducibility, and clear errors for invalid parameters.

#include "engine/sampler/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace lathe {
namespace {

SamplerParams greedy() {
  SamplerParams p;
  p.temperature = 0.0f;
  return p;
}

// No filters: the draw follows softmax(logits / temperature) alone.
SamplerParams plain(float temperature, uint64_t seed = 1) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

void expect_invalid(SamplerParams p, const std::string& mentions) {
  try {
    Sampler s(10, p);
    ADD_FAILURE() << "accepted invalid parameters; expected an error mentioning " << mentions;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(SamplerParams, InvalidValuesAreClearErrors) {
  SamplerParams p;
  p.temperature = -0.5f;
  expect_invalid(p, "temperature");
  p = {};
  p.temperature = NAN;
  expect_invalid(p, "temperature");
  p = {};
  p.top_k = -1;
  expect_invalid(p, "top-k");
  p = {};
  p.top_p = 0.0f;
  expect_invalid(p, "top-p");
  p = {};
  p.top_p = 1.5f;
  expect_invalid(p, "top-p");
  p = {};
  p.min_p = -0.1f;
  expect_invalid(p, "min-p");
  p = {};
  p.min_p = 1.1f;
  expect_invalid(p, "min-p");
  p = {};
  p.repeat_penalty = 0.0f;
  expect_invalid(p, "repeat penalty");
  p = {};
  p.repeat_last_n = -2;
  expect_invalid(p, "repeat-last-n");
  EXPECT_THROW(Sampler(0, SamplerParams{}), std::invalid_argument);
}

TEST(Sampler, GreedyIsTheArgmaxWithTheLowestIdOnTies) {
  Sampler s(5, greedy());
  const std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f, 2.0f};
  EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(s.sample(logits), 1);
}

TEST(Sampler, RejectsLogitsOfTheWrongSize) {
  Sampler s(5, greedy());
  const std::vector<float> logits = {1.0f, 2.0f};
  EXPECT_THROW(s.sample(logits), std::invalid_argument);
}

TEST(Sampler, TheSameSeedReproducesARunAndResetRestartsIt) {
  std::vector<float> logits(1000, 0.0f); // uniform: every draw is informative
  Sampler a(1000, plain(1.0f, 42)), b(1000, plain(1.0f, 42)), c(1000, plain(1.0f, 43));
  std::vector<int32_t> ra, rb, rc;
  for (int i = 0; i < 50; ++i) {
    ra.push_back(a.sample(logits));
    rb.push_back(b.sample(logits));
    rc.push_back(c.sample(logits));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
  a.reset();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.sample(logits), ra[static_cast<size_t>(i)]);
}

TEST(Sampler, DrawsFollowTheDistribution) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Sampler s(3, plain(1.0f, 7));
  int counts[3] = {};
  const int n = 30000;
  for (int i = 0; i < n; ++i) ++counts[s.sample(logits)];
  // Binomial standard deviation is at most sqrt(0.25 / n) ~ 0.003: 0.015 is five of them.
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.015);
}

TEST(Sampler, TemperatureSharpensAndFlattens) {
  const std::vector<float> logits = {1.0f, 0.0f};
  Sampler cold(2, plain(0.05f, 3)), hot(2, plain(100.0f, 3));
  int cold_first = 0, hot_first = 0;
  for (int i = 0; i < 2000; ++i) {
    cold_first += cold.sample(logits) == 0;
    hot_first += hot.sample(logits) == 0;
  }
  EXPECT_EQ(cold_first, 2000);             // p = 1 / (1 + e^-20)
  EXPECT_NEAR(hot_first / 2000.0, 0.5, 0.05); // p = 1 / (1 + e^-0.01)
}

TEST(Sampler, TopKOneTopPTinyAndMinPOneKeepOnlyTheBest) {
  const std::vector<float> logits = {0.0f, 1.0f, 0.9f, -3.0f};
  SamplerParams k1 = plain(5.0f);
  k1.top_k = 1;
  SamplerParams p_tiny = plain(5.0f);
  p_tiny.top_p = 0.01f;
  SamplerParams m1 = plain(5.0f);
  m1.min_p = 1.0f;
  for (const SamplerParams& p : {k1, p_tiny, m1}) {
    Sampler s(4, p);
    for (int i = 0; i < 200; ++i) ASSERT_EQ(s.sample(logits), 1);
  }
}

TEST(Sampler, TopKAndMinPKeepExactlyTheCandidatesTheyShould) {
  // Probabilities ~ 0.64, 0.24, 0.09, 0.03 for logits 3, 2, 1, 0.
  const std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.0f};
  SamplerParams k2 = plain(1.0f);
  k2.top_k = 2; // {1, 3}
  SamplerParams m = plain(1.0f);
  m.min_p = 0.3f; // keeps p >= 0.3 * 0.64 = 0.19: {1, 3}
  SamplerParams p = plain(1.0f);
  p.top_p = 0.8f; // 0.64 < 0.8 <= 0.88: {1, 3}
  for (const SamplerParams& params : {k2, m, p}) {
    Sampler s(4, params);
    bool seen[4] = {};
    for (int i = 0; i < 2000; ++i) seen[s.sample(logits)] = true;
    EXPECT_TRUE(seen[1]);
    EXPECT_TRUE(seen[3]);
    EXPECT_FALSE(seen[0]);
    EXPECT_FALSE(seen[2]);
  }
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  SamplerParams p = greedy();
  p.repeat_penalty = 2.0f;
  Sampler s(3, p);
  const std::vector<float> logits = {2.0f, 1.9f, -1.0f};
  EXPECT_EQ(s.sample(logits), 0);
  s.accept(0); // 2.0 -> 1.0: token 1 wins
  EXPECT_EQ(s.sample(logits), 1);
  s.accept(1); // 1.9 -> 0.95 and token 0 still 1.0: token 0 wins again
  EXPECT_EQ(s.sample(logits), 0);

  const std::vector<float> negative = {-1.0f, -1.5f, -3.0f};
  Sampler t(3, p);
  t.accept(0); // -1.0 -> -2.0: token 1 (-1.5) wins
  EXPECT_EQ(t.sample(negative), 1);
}

TEST(Sampler, RepetitionPenaltyAppliesToTheWindowOnlyAndOncePerToken) {
  SamplerParams p = greedy();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(3, p);
  const std::vector<float> logits = {2.0f, 1.9f, 0.5f};
  s.accept(0);
  s.accept(0); // twice in the window: still divided once (1.0 < 1.9)
  EXPECT_EQ(s.sample(logits), 1);
  s.accept(2);
  s.accept(2); // token 0 has left the window of 2
  EXPECT_EQ(s.sample(logits), 0);

  SamplerParams off = p;
  off.repeat_last_n = 0;
  Sampler o(3, off);
  o.accept(0);
  EXPECT_EQ(o.sample(logits), 0);
}

} // namespace
} // namespace lathe
