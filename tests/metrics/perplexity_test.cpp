// Perplexity: the negative log-likelihood accumulator by hand, and the
// windowing of llama.cpp's method on a tiny model against the same sums
// computed here from Session logits.

#include "engine/metrics/perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "runtime/tiny_model.h"

namespace lathe {
namespace {

TEST(NllAccumulator, UniformLogitsGiveTheVocabularySize) {
  NllAccumulator a;
  const std::vector<float> logits(50, 3.0f);
  for (int i = 0; i < 10; ++i) a.add(logits, i);
  EXPECT_EQ(a.count(), 10);
  EXPECT_NEAR(a.perplexity(), 50.0, 1e-9);
  EXPECT_NEAR(a.perplexity_error(), 0.0, 1e-4); // every nll is the same (up to rounding of E[x^2] - E[x]^2)
}

TEST(NllAccumulator, MeanAndStandardErrorByHand) {
  // p(target) = 1/2 and 1/8: nll = ln 2, 3 ln 2; mean 2 ln 2 -> ppl 4.
  NllAccumulator a;
  a.add(std::vector<float>{0.0f, 0.0f}, 0);
  a.add(std::vector<float>{std::log(7.0f), 0.0f}, 1);
  EXPECT_NEAR(a.perplexity(), 4.0, 1e-6);
  // var = E[nll^2] - mean^2 = (ln2)^2; error = ppl * sqrt(var / (n - 1)) = 4 ln 2.
  EXPECT_NEAR(a.perplexity_error(), 4.0 * std::log(2.0), 1e-6);
}

TEST(Perplexity, ScoresTheSecondHalfOfEachWindowWithBosFirst) {
  const testing::TinyModel m = testing::make_tiny_model({});
  gguf::testing::TestDir dir;
  const Model model = Model::load(dir.write("tiny.gguf", m.writer().build()));
  Session session(model, {.n_ctx = 8, .chunk = 3});
  std::vector<int32_t> tokens;
  for (int i = 0; i < 19; ++i) tokens.push_back((i * 7 + 3) % 40);

  PerplexityOptions o;
  o.n_ctx = 8;
  o.bos = 1;
  int callbacks = 0;
  const PerplexityResult r = perplexity(session, tokens, o, [&](const PerplexityProgress& p) {
    ++callbacks;
    EXPECT_EQ(p.n_chunks, 2);
  });
  EXPECT_EQ(r.n_chunks, 2); // 19 tokens hold two whole windows of 8
  EXPECT_EQ(r.n_scored, 6); // positions 4, 5, 6 of each window
  EXPECT_EQ(callbacks, 2);

  NllAccumulator want;
  for (int c = 0; c < 2; ++c) {
    std::vector<int32_t> window(tokens.begin() + 8 * c, tokens.begin() + 8 * c + 8);
    window[0] = 1;
    session.reset();
    const auto logits = session.eval({window.data(), 4}); // logits of position 3 (unused)
    (void)logits;
    for (int pos = 4; pos <= 6; ++pos) {
      const auto l = session.eval({&window[static_cast<size_t>(pos)], 1});
      want.add(l, tokens[static_cast<size_t>(8 * c + pos + 1)]);
    }
  }
  EXPECT_DOUBLE_EQ(r.perplexity, want.perplexity());
  EXPECT_DOUBLE_EQ(r.perplexity_error, want.perplexity_error());

  o.max_chunks = 1;
  EXPECT_EQ(perplexity(session, tokens, o).n_scored, 3);
}

TEST(Perplexity, TooShortATextOrContextIsAnError) {
  const testing::TinyModel m = testing::make_tiny_model({});
  gguf::testing::TestDir dir;
  const Model model = Model::load(dir.write("tiny.gguf", m.writer().build()));
  Session session(model, {.n_ctx = 8, .chunk = 8});
  const std::vector<int32_t> fifteen(15, 2);
  PerplexityOptions o;
  o.n_ctx = 8;
  EXPECT_THROW(perplexity(session, fifteen, o), std::invalid_argument);
  const std::vector<int32_t> forty(40, 2);
  o.n_ctx = 16;
  EXPECT_THROW(perplexity(session, forty, o), std::invalid_argument); // longer than the session's context
}

} // namespace
} // namespace lathe
