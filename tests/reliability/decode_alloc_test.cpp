// Resource limits: the decode loop of the small model (SmolLM2) allocates
// nothing per token. Heap allocations are counted over 1,000 tokens
// (tests/runtime/allocation_counter.cpp replaces the global operator new of
// this binary, which is why it is an executable of its own; the sanitizer
// build leaves it out, as 2,000 Debug decode steps would take minutes):
//   - evaluating one token (Session::eval) and choosing the next
//     (Sampler::sample, Sampler::accept): no allocation at all;
//   - the whole generate() loop, which also streams the text, watches for
//     stop strings and collects the result: only the amortised growth of what
//     it returns (the token vector and the text double their capacity), so
//     1,000 tokens cost a few dozen allocations, not one or more per token.
// Peak RSS is not the measure: the KV cache is touched position by position
// as the context fills, by design.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/generate/adapters.h"
#include "engine/generate/generate.h"
#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "engine/sampler/sampler.h"
#include "engine/tokenizer/tokenizer.h"
#include "runtime/allocation_counter.h"
#include "runtime/test_models.h"

namespace lathe {
namespace {

constexpr int64_t kTokens = 1000;

class DecodeAllocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto path = testing::require_model(testing::kSmolLm2);
    if (!path) GTEST_SKIP();
    model_.emplace(Model::load(*path));
    tokenizer_.emplace(Tokenizer::from_gguf(model_->file()));
    prompt_ = tokenizer_->encode("The lathe turned slowly in the workshop while", false);
  }

  std::optional<Model> model_;
  std::optional<Tokenizer> tokenizer_;
  std::vector<int32_t> prompt_;
};

TEST_F(DecodeAllocationTest, SmolLM2EvaluatingAndSamplingAThousandTokensNeverAllocates) {
  Session session(*model_, {.n_ctx = 1100});
  // The default chain (top-k, top-p, min-p, temperature, a seeded draw) and a
  // repetition penalty, so that every step of the sampler runs.
  Sampler sampler(model_->config().vocab_size, SamplerParams{.repeat_penalty = 1.1f, .seed = 7});
  for (int32_t t : prompt_) sampler.accept(t);
  std::span<const float> logits = session.eval(prompt_);
  testing::start_counting_allocations();
  for (int64_t i = 0; i < kTokens; ++i) {
    const int32_t token = sampler.sample(logits);
    sampler.accept(token);
    logits = session.eval({&token, 1});
  }
  const int64_t allocations = testing::stop_counting_allocations();
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(session.n_past(), static_cast<int64_t>(prompt_.size()) + kTokens);
  EXPECT_TRUE(std::isfinite(logits[0]));
}

// Allocations of one generate() run of n tokens that ignores end of generation.
int64_t generate_allocations(const Model& model, const Tokenizer& tokenizer, std::span<const int32_t> prompt,
                             int64_t n) {
  Session session(model, {.n_ctx = 1100});
  SessionEvaluator eval(session);
  TokenizerText text(tokenizer);
  Sampler sampler(model.config().vocab_size, SamplerParams{.seed = 11});
  GenerateOptions options;
  options.max_new_tokens = n;
  options.ignore_eos = true;
  options.stop = {"\n\n\n\n\n\n", "never appears: 7f3a9c"}; // watched for, never found
  testing::start_counting_allocations();
  const GenerateResult r = generate(eval, text, sampler, prompt, options);
  const int64_t allocations = testing::stop_counting_allocations();
  EXPECT_EQ(static_cast<int64_t>(r.tokens.size()), n);
  return allocations;
}

TEST_F(DecodeAllocationTest, SmolLM2GenerateAllocatesOnlyForItsGrowingResult) {
  const int64_t at_100 = generate_allocations(*model_, *tokenizer_, prompt_, 100);
  const int64_t at_1000 = generate_allocations(*model_, *tokenizer_, prompt_, kTokens);
  // 900 more tokens: the token vector doubles about 3 more times and the text
  // (about 4 KB more) about as often; allow a little more for the stream's
  // occasional long piece, but nowhere near one per token.
  EXPECT_LE(at_1000 - at_100, 40) << "100 tokens: " << at_100 << " allocations, 1000 tokens: " << at_1000;
  RecordProperty("allocations_100_tokens", static_cast<int>(at_100));
  RecordProperty("allocations_1000_tokens", static_cast<int>(at_1000));
}

} // namespace
} // namespace lathe
