// The forward pass on tiny random models (F32 weights, so nothing is
// quantized) against a float64 reference written out in the test: both
// architectures' conventions (rope layout, Q/K/V biases), grouped-query
// attention, tied output, rope frequency factors. Also: the results do not
// depend on the thread count, nor on the prefill chunk within one attention
// path (and agree within rounding across the two), evaluating never
// allocates, and load errors name the tensor at fault.

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "allocation_counter.h"
#include "tiny_model.h"

namespace lathe {
namespace {

using testing::make_tiny_model;
using testing::TinyModel;
using testing::TinySpec;

const std::vector<int32_t> kTokens = {3, 17, 5, 5, 39, 0, 22, 8, 11, 30, 2};

// Writes the model to a file of the test's own directory and loads it.
class Loaded {
 public:
  explicit Loaded(const TinyModel& m, const std::vector<std::string>& skip = {})
      : path_(dir_.write("tiny.gguf", m.writer(skip).build())) {}
  Model load() const { return Model::load(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  gguf::testing::TestDir dir_;
  std::filesystem::path path_;
};

std::vector<float> logits_all(Session& s, const std::vector<int32_t>& tokens) {
  std::vector<float> out;
  for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(s.logit_rows())) {
    const size_t n = std::min(static_cast<size_t>(s.logit_rows()), tokens.size() - start);
    const auto l = s.eval_all({tokens.data() + start, n});
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

void expect_matches_reference(const TinySpec& spec) {
  const TinyModel m = make_tiny_model(spec);
  const Loaded file(m);
  const Model model = file.load();
  Session s(model, {.n_ctx = 32, .chunk = 4});
  const std::vector<float> got = logits_all(s, kTokens);
  const std::vector<double> want = m.reference_logits(kTokens);
  ASSERT_EQ(got.size(), want.size());
  double scale = 0.0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  // float32 arithmetic against float64: a few ulps per operation over a
  // handful of sums of at most 96 terms.
  const double tol = 1e-5 * scale;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol) << spec.arch << " position " << i / spec.vocab << " token " << i % spec.vocab;
  }
}

TEST(Forward, LlamaMatchesTheReference) { expect_matches_reference({}); }

TEST(Forward, Qwen2WithBiasesAndNeoxRopeMatchesTheReference) {
  TinySpec s;
  s.arch = "qwen2";
  s.rope_theta = 1000000.0f;
  expect_matches_reference(s);
}

TEST(Forward, GroupedQueryAttentionOfEveryRatioMatchesTheReference) {
  for (int64_t kv : {1, 2, 4}) {
    TinySpec s;
    s.n_kv_heads = kv;
    expect_matches_reference(s);
  }
}

TEST(Forward, TiedOutputMatchesTheReference) {
  TinySpec s;
  s.tied_output = true;
  expect_matches_reference(s);
}

TEST(Forward, RopeFrequencyFactorsMatchTheReference) {
  TinySpec s;
  s.rope_freqs = true;
  expect_matches_reference(s);
}

// The tiny model's head_dim is 16, so on AVX-512 a call of 8 or more tokens
// takes the tiled attention path and fewer tokens the per-query one. Within
// one path the logits do not depend on the chunk or the thread count, bit for
// bit; across the two paths (attention sums in another order) they agree
// within rounding.
TEST(Forward, PrefillChunksDecodeStepsAndThreadsGiveIdenticalLogits) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m);
  const Model model = file.load();
  const size_t vocab = static_cast<size_t>(m.spec.vocab);
  // Per-query path: chunks of fewer than 8 tokens, and decode steps.
  Session decode(model, {.n_ctx = 32, .chunk = 1});
  const std::vector<float> reference = logits_all(decode, kTokens);
  for (const SessionOptions& o : {SessionOptions{.n_ctx = 32, .chunk = 3}, SessionOptions{.n_ctx = 32, .chunk = 1},
                                  SessionOptions{.n_ctx = 32, .chunk = 5, .n_threads = 2}}) {
    Session s(model, o);
    // Decode-style: eval() one token at a time returns the last logits.
    for (size_t t = 0; t < kTokens.size(); ++t) {
      const auto l = s.eval({&kTokens[t], 1});
      for (size_t v = 0; v < vocab; ++v) {
        ASSERT_EQ(l[v], reference[t * vocab + v]) << "chunk " << o.chunk << " threads " << o.n_threads;
      }
    }
    s.reset();
    EXPECT_EQ(logits_all(s, kTokens), reference) << "chunk " << o.chunk << " threads " << o.n_threads;
  }
  // All 11 tokens in one call (the tiled path on AVX-512), on 1 and 3 threads.
  Session all(model, {.n_ctx = 32, .chunk = 16});
  const std::vector<float> chunked = logits_all(all, kTokens);
  Session all3(model, {.n_ctx = 32, .chunk = 16, .n_threads = 3});
  EXPECT_EQ(logits_all(all3, kTokens), chunked) << "chunk 16 threads 3";
  // Across the paths: each attention output is within (2 n_keys + 16) eps of
  // max|v| of the scalar reference (kernels/attention tests), n_keys <= 11
  // here, so within ~40 eps relative; two layers of 64-wide products and
  // norms on unit-scale weights carry that to the logits without growing it
  // much (the largest difference seen on AVX-512 was 1.9 eps of the largest
  // logit). 64 eps of the largest logit, ~8e-6 relative, still catches any
  // real difference (a wrong mask or head moves logits by ~0.1).
  double max_abs = 0.0;
  for (const float x : reference) max_abs = std::max(max_abs, std::fabs(static_cast<double>(x)));
  const double tol = 64.0 * FLT_EPSILON * max_abs;
  ASSERT_EQ(chunked.size(), reference.size());
  double worst = 0.0;
  for (size_t i = 0; i < chunked.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(chunked[i]) - reference[i]));
  }
  EXPECT_LE(worst, tol) << "largest difference: " << worst / (FLT_EPSILON * max_abs) << " eps of the largest logit";
}

TEST(Forward, FewerLogitRowsThanAChunkGiveTheSameLogits) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m);
  const Model model = file.load();
  Session all(model, {.n_ctx = 32, .chunk = 16});
  ASSERT_EQ(all.logit_rows(), 16) << "0 means a chunk's";
  const std::vector<float> reference = logits_all(all, kTokens);
  const size_t vocab = static_cast<size_t>(m.spec.vocab);

  Session few(model, {.n_ctx = 32, .chunk = 16, .logit_rows = 3});
  EXPECT_EQ(few.logit_rows(), 3);
  EXPECT_LT(few.memory_bytes(), all.memory_bytes());
  // few evaluates 3 tokens per call: compare with the full rows of the same
  // calls (the attention path depends on the tokens per call; see above)
  all.reset();
  std::vector<float> in_threes;
  for (size_t start = 0; start < kTokens.size(); start += 3) {
    const auto l = all.eval_all({kTokens.data() + start, std::min<size_t>(3, kTokens.size() - start)});
    in_threes.insert(in_threes.end(), l.begin(), l.end());
  }
  EXPECT_EQ(logits_all(few, kTokens), in_threes);
  // eval() still runs whole chunks and keeps the last token's logits.
  Session one(model, {.n_ctx = 32, .chunk = 16, .logit_rows = 1});
  const auto last = one.eval(kTokens);
  EXPECT_EQ(std::vector<float>(last.begin(), last.end()),
            std::vector<float>(reference.end() - static_cast<std::ptrdiff_t>(vocab), reference.end()));
  one.reset();
  EXPECT_THROW(one.eval_all({kTokens.data(), 2}), std::invalid_argument);
  EXPECT_EQ(Session(model, {.n_ctx = 32, .chunk = 4, .logit_rows = 9}).logit_rows(), 4) << "capped at the chunk";
  EXPECT_THROW(Session(model, {.n_ctx = 32, .logit_rows = -1}), std::invalid_argument);
}

TEST(Forward, RewindKeepsThePrefixAndRecomputesTheRest) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m);
  const Model model = file.load();
  // chunks of 3 (the per-query attention path both times): 3 + 3 + 3 + 2,
  // then after the rewind to 4 tokens, 3 + 3 + 1
  Session s(model, {.n_ctx = 32, .chunk = 3});
  const auto first = s.eval(kTokens);
  const std::vector<float> want(first.begin(), first.end());
  s.rewind(4);
  EXPECT_EQ(s.n_past(), 4);
  EXPECT_EQ(std::vector<int32_t>(s.tokens().begin(), s.tokens().end()),
            std::vector<int32_t>(kTokens.begin(), kTokens.begin() + 4));
  const auto again = s.eval({kTokens.data() + 4, kTokens.size() - 4});
  EXPECT_EQ(std::vector<float>(again.begin(), again.end()), want);
  EXPECT_THROW(s.rewind(12), std::invalid_argument);
}

TEST(Forward, EvaluatingNeverAllocates) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m);
  const Model model = file.load();
  for (int threads : {1, 2}) {
    for (int64_t chunk : {4, 16}) { // 16: a call of 8 tokens, the tiled attention path on AVX-512
      Session s(model, {.n_ctx = 32, .chunk = chunk, .n_threads = threads});
      s.eval({kTokens.data(), 2}); // let a thread pool start outside the count
      testing::start_counting_allocations();
      s.eval({kTokens.data() + 2, 8});
      s.eval({kTokens.data() + 10, 1});
      s.eval_all({kTokens.data(), 2});
      EXPECT_EQ(testing::stop_counting_allocations(), 0) << "threads " << threads << " chunk " << chunk;
    }
  }
}

TEST(Session, ErrorsAreClear) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m);
  const Model model = file.load();
  Session s(model, {.n_ctx = 8, .chunk = 4});
  const std::vector<int32_t> nine(9, 1);
  EXPECT_THROW(s.eval(nine), ContextFullError);
  EXPECT_EQ(s.n_past(), 0) << "a failed eval must evaluate nothing";
  const std::vector<int32_t> bad = {1, 40};
  EXPECT_THROW(s.eval(bad), std::out_of_range);
  EXPECT_THROW(s.eval({}), std::invalid_argument);
  const std::vector<int32_t> five(5, 1);
  EXPECT_THROW(s.eval_all(five), std::invalid_argument);
  EXPECT_THROW(Session(model, {.n_ctx = 65}), std::invalid_argument);
  EXPECT_THROW(Session(model, {.n_ctx = 8, .chunk = 0}), std::invalid_argument);
  // A chunk is an upper bound: capped at the context and at the window.
  EXPECT_EQ(Session(model, {.n_ctx = 8, .chunk = 512}).chunk(), 8);
  EXPECT_EQ(Session(model, {.n_ctx = 32, .chunk = 512, .kv_window = 6}).chunk(), 6);
  EXPECT_THROW(Session(model, {.n_ctx = 8, .n_threads = 0}), std::invalid_argument);
}

std::string load_error(const std::filesystem::path& path) {
  try {
    Model::load(path);
  } catch (const gguf::GgufError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ModelLoad, AMissingTensorIsNamedWithItsExpectedShape) {
  const TinyModel m = make_tiny_model({});
  const Loaded file(m, {"blk.1.ffn_up.weight"});
  const std::string e = load_error(file.path());
  EXPECT_NE(e.find("'blk.1.ffn_up.weight' is missing"), std::string::npos) << e;
  EXPECT_NE(e.find("64 x 96"), std::string::npos) << e;
}

TEST(ModelLoad, AWrongShapeIsNamedWithTheExpectedOne) {
  TinyModel m = make_tiny_model({});
  m.dims["blk.0.attn_k.weight"] = {32, 64}; // 64 x 32 expected
  const Loaded file(m);
  const std::string e = load_error(file.path());
  EXPECT_NE(e.find("'blk.0.attn_k.weight' has shape 32 x 64, expected 64 x 32"), std::string::npos) << e;
}

TEST(ModelLoad, ATypeWithoutKernelsIsNamed) {
  const TinyModel m = make_tiny_model({});
  gguf::testing::TestDir dir;
  auto w = m.writer({"blk.0.ffn_gate.weight"});
  w.tensor_filled("blk.0.ffn_gate.weight", kernels::QuantType::Q8_1, {64, 96});
  const std::string e = load_error(dir.write("q81.gguf", w.build()));
  EXPECT_NE(e.find("'blk.0.ffn_gate.weight' has type Q8_1"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot multiply"), std::string::npos) << e;
}

TEST(ModelLoad, UnsupportedArchitectureAndRopeScalingAreErrors) {
  TinySpec spec;
  spec.arch = "gpt2";
  gguf::testing::TestDir dir;
  EXPECT_NE(load_error(dir.write("gpt2.gguf", make_tiny_model(spec).writer().build())).find("'gpt2' is not supported"),
            std::string::npos);
  auto w = make_tiny_model({}).writer();
  w.meta("llama.rope.scaling.type", gguf::testing::MetaValue::string("yarn"));
  EXPECT_NE(load_error(dir.write("yarn.gguf", w.build())).find("rope scaling 'yarn' is not supported"),
            std::string::npos);
}

TEST(ModelLoad, Llama3ScalingKeysWithoutATensorGiveFrequencyFactors) {
  auto w = make_tiny_model({}).writer();
  w.meta("llama.rope.scaling.type", gguf::testing::MetaValue::string("llama3"));
  w.meta("llama.rope.scaling.factor", gguf::testing::MetaValue::f32(8.0f));
  w.meta("llama.rope.scaling.original_context_length", gguf::testing::MetaValue::u32(32));
  gguf::testing::TestDir dir;
  const Model model = Model::load(dir.write("llama3.gguf", w.build()));
  const std::vector<float>& f = model.weights().rope_freq_factors;
  ASSERT_EQ(f.size(), 8u); // head_dim 16
  // High frequencies (wavelength < 32 / 4) are kept, low ones (> 32 / 1) divided by 8.
  EXPECT_EQ(f.front(), 1.0f);
  EXPECT_EQ(f.back(), 8.0f);
  for (size_t i = 1; i < f.size(); ++i) EXPECT_GE(f[i], f[i - 1]);
}

} // namespace
} // namespace lathe
