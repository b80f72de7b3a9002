// The generation loop's rules, on a scripted model: end of generation, stop
// strings (also across tokens, never streamed), the token budget, the
// context limit, truncation, the streaming callback and the timings.

#include "engine/generate/generate.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace lathe {
namespace {

constexpr int32_t kVocab = 16;
constexpr int32_t kEos = 15;

// Makes `script[i]` the most likely token after the prompt and i generated tokens.
class ScriptedModel final : public TokenEvaluator {
 public:
  ScriptedModel(std::vector<int32_t> script, int64_t n_ctx) : script_(std::move(script)), n_ctx_(n_ctx) {}

  int64_t n_ctx() const override { return n_ctx_; }
  int64_t n_past() const override { return static_cast<int64_t>(seen_.size()); }
  std::span<const float> eval(std::span<const int32_t> tokens) override {
    if (n_past() + static_cast<int64_t>(tokens.size()) > n_ctx_) throw std::length_error("scripted model overflow");
    if (evals_ == 0) first_eval_.assign(tokens.begin(), tokens.end());
    ++evals_;
    seen_.insert(seen_.end(), tokens.begin(), tokens.end());
    logits_.assign(kVocab, 0.0f);
    const size_t step = static_cast<size_t>(evals_ - 1);
    logits_[static_cast<size_t>(step < script_.size() ? script_[step] : 0)] = 10.0f;
    return logits_;
  }

  std::vector<int32_t> first_eval_; // the prompt as evaluated
  std::vector<int32_t> seen_;
  int64_t evals_ = 0;

 private:
  std::vector<int32_t> script_;
  int64_t n_ctx_;
  std::vector<float> logits_;
};

// Token i is the text pieces_[i]; kEos ends generation.
class FakeText final : public TokenText {
 public:
  explicit FakeText(std::map<int32_t, std::string> pieces) : pieces_(std::move(pieces)) {}
  bool is_end_of_generation(int32_t id) const override { return id == kEos; }
  std::string push(int32_t id) override { return pieces_.count(id) ? pieces_.at(id) : "?"; }
  std::string flush() override { return ""; }

 private:
  std::map<int32_t, std::string> pieces_;
};

SamplerParams greedy() {
  SamplerParams p;
  p.temperature = 0.0f;
  return p;
}

struct Outcome {
  GenerateResult result;
  std::string streamed;
  std::vector<std::string> pieces;
};

Outcome run(ScriptedModel& model, FakeText& text, std::vector<int32_t> prompt, const GenerateOptions& options,
        int stop_after_pieces = -1) {
  Sampler sampler(kVocab, greedy());
  Outcome r;
  r.result = generate(model, text, sampler, prompt, options, [&](std::string_view piece) {
    r.streamed += piece;
    r.pieces.emplace_back(piece);
    return stop_after_pieces < 0 || static_cast<int>(r.pieces.size()) < stop_after_pieces;
  });
  return r;
}

FakeText letters() { return FakeText({{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {kEos, "</s>"}}); }

TEST(Generate, StopsAtEndOfGenerationWithoutRenderingIt) {
  ScriptedModel model({1, 2, 3, kEos, 4}, 64);
  FakeText text = letters();
  const Outcome r = run(model, text, {7, 8}, {});
  EXPECT_EQ(r.result.stop, StopReason::kEndOfGeneration);
  EXPECT_EQ(r.result.tokens, (std::vector<int32_t>{1, 2, 3, kEos}));
  EXPECT_EQ(r.result.text, "abc");
  EXPECT_EQ(r.streamed, "abc");
  EXPECT_EQ(model.first_eval_, (std::vector<int32_t>{7, 8}));
}

TEST(Generate, IgnoreEosRunsThroughIt) {
  ScriptedModel model({1, kEos, 2}, 64);
  FakeText text = letters();
  GenerateOptions o;
  o.ignore_eos = true;
  o.max_new_tokens = 3;
  const Outcome r = run(model, text, {7}, o);
  EXPECT_EQ(r.result.stop, StopReason::kTokenBudget);
  EXPECT_EQ(r.result.tokens, (std::vector<int32_t>{1, kEos, 2}));
  EXPECT_EQ(r.result.text, "a</s>b");
}

TEST(Generate, TheBudgetCountsGeneratedTokens) {
  ScriptedModel model({1, 2, 3, 4, 1, 2}, 64);
  FakeText text = letters();
  GenerateOptions o;
  o.max_new_tokens = 3;
  const Outcome r = run(model, text, {7, 8, 9}, o);
  EXPECT_EQ(r.result.stop, StopReason::kTokenBudget);
  EXPECT_EQ(r.result.tokens.size(), 3u);
  EXPECT_EQ(r.result.text, "abc");
  // The prompt, then one evaluation per generated token but the last.
  EXPECT_EQ(model.evals_, 3);
  EXPECT_EQ(r.result.timings.n_prompt, 3);
  EXPECT_EQ(r.result.timings.n_decoded, 2);
}

TEST(Generate, AZeroBudgetOnlyReadsThePrompt) {
  ScriptedModel model({1}, 64);
  FakeText text = letters();
  GenerateOptions o;
  o.max_new_tokens = 0;
  const Outcome r = run(model, text, {7}, o);
  EXPECT_EQ(r.result.stop, StopReason::kTokenBudget);
  EXPECT_TRUE(r.result.tokens.empty());
  EXPECT_EQ(model.n_past(), 1);
}

TEST(Generate, AStopStringAcrossTokensEndsTheTextBeforeIt) {
  // "Hel" "lo " "wor" "ld": the stop string "o w" spans three tokens.
  ScriptedModel model({1, 2, 3, 4}, 64);
  FakeText text({{1, "Hel"}, {2, "lo "}, {3, "wor"}, {4, "ld"}});
  GenerateOptions o;
  o.stop = {"o w"};
  const Outcome r = run(model, text, {7}, o);
  EXPECT_EQ(r.result.stop, StopReason::kStopString);
  EXPECT_EQ(r.result.text, "Hell");
  EXPECT_EQ(r.streamed, "Hell");
  EXPECT_EQ(r.result.tokens.size(), 3u);
  // "lo " was held back as a possible start of the stop string: "Hel" was
  // streamed first, then "l" only once the stop string was certain.
  ASSERT_GE(r.pieces.size(), 1u);
  EXPECT_EQ(r.pieces[0], "Hel");
}

TEST(Generate, HeldBackTextIsReleasedWhenTheStopStringDoesNotMaterialize) {
  ScriptedModel model({1, 2, 3}, 64);
  FakeText text({{1, "ab"}, {2, "cX"}, {3, "Yz"}});
  GenerateOptions o;
  o.stop = {"XYW", "", "cXYZ"};
  o.max_new_tokens = 3;
  const Outcome r = run(model, text, {7}, o);
  EXPECT_EQ(r.result.stop, StopReason::kTokenBudget);
  EXPECT_EQ(r.result.text, "abcXYz");
  EXPECT_EQ(r.streamed, "abcXYz");
  // "cX" could start "cXYZ", so it waited for the next token.
  EXPECT_EQ(r.pieces[0], "ab");
}

TEST(Generate, TheEarliestOfSeveralStopStringsWins) {
  ScriptedModel model({1, 2}, 64);
  FakeText text({{1, "one two"}, {2, " three"}});
  GenerateOptions o;
  o.stop = {"three", "two"};
  const Outcome r = run(model, text, {7}, o);
  EXPECT_EQ(r.result.stop, StopReason::kStopString);
  EXPECT_EQ(r.result.text, "one ");
}

TEST(Generate, TheCallbackCanStopIt) {
  ScriptedModel model({1, 2, 3, 4}, 64);
  FakeText text = letters();
  const Outcome r = run(model, text, {7}, {}, 2);
  EXPECT_EQ(r.result.stop, StopReason::kCallback);
  EXPECT_EQ(r.result.text, "ab");
}

TEST(Generate, StopsWhenTheContextIsFull) {
  ScriptedModel model({1, 2, 3, 4, 1, 2, 3, 4}, 8);
  FakeText text = letters();
  const Outcome r = run(model, text, {7, 7, 7, 7, 7}, {});
  EXPECT_EQ(r.result.stop, StopReason::kContextFull);
  EXPECT_EQ(model.n_past(), 8);
  EXPECT_EQ(r.result.tokens.size(), 4u); // three evaluated, the fourth sampled from the last logits
}

TEST(Generate, APromptThatDoesNotFitIsAnErrorUnlessTruncationIsAsked) {
  {
    ScriptedModel model({1}, 8);
    FakeText text = letters();
    try {
      run(model, text, {1, 2, 3, 4, 5, 6, 7, 8}, {});
      ADD_FAILURE() << "an 8-token prompt in a context of 8 was accepted";
    } catch (const std::length_error& e) {
      EXPECT_NE(std::string(e.what()).find("context"), std::string::npos) << e.what();
    }
  }
  ScriptedModel model({1, 2, 3}, 8);
  FakeText text = letters();
  GenerateOptions o;
  o.truncate_prompt = true;
  o.max_new_tokens = 2;
  const Outcome r = run(model, text, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, o);
  // Room for the budget of 2: the last 6 prompt tokens are kept.
  EXPECT_EQ(r.result.n_prompt_dropped, 4);
  EXPECT_EQ(model.first_eval_, (std::vector<int32_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(r.result.tokens.size(), 2u);
}

TEST(Generate, AnEmptyPromptIsAnError) {
  ScriptedModel model({1}, 8);
  FakeText text = letters();
  EXPECT_THROW(run(model, text, {}, {}), std::invalid_argument);
}

TEST(Generate, TimingsAreFilledIn) {
  ScriptedModel model({1, 2, 3, kEos}, 64);
  FakeText text = letters();
  const Outcome r = run(model, text, {7, 8}, {});
  const GenerationTimings& t = r.result.timings;
  EXPECT_EQ(t.n_prompt, 2);
  EXPECT_EQ(t.n_decoded, 3);
  EXPECT_GE(t.prefill_s, 0.0);
  EXPECT_GE(t.first_token_s, t.prefill_s);
  EXPECT_GE(t.decode_s, 0.0);
}

} // namespace
} // namespace lathe
