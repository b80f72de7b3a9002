// The session's KV cache options on tiny random models (F32 weights): the
// element types, the rotating window, and the prompt cache.
// - every type and window gives the same logits whether the prompt is read in
//   chunks (of fewer than 8 tokens: one attention path), one token at a time
//   or on several threads (a row is written once);
// - f32 is the reference decoder; f16, q8_0 and q4_0 stay close to it, in
//   that order;
// - a window at least as long as the text changes nothing; a shorter one
//   changes the logits, keeps counting positions past the cache's rows, and
//   limits what can be rewound;
// - reusing a cached prefix gives the logits of a fresh evaluation.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/prompt_cache.h"
#include "engine/runtime/session.h"
#include "tiny_model.h"

namespace lathe {
namespace {

using kernels::KvType;
using testing::make_tiny_model;
using testing::TinyModel;
using testing::TinySpec;

constexpr KvType kTypes[] = {KvType::kF32, KvType::kF16, KvType::kQ8_0, KvType::kQ4_0};

// head_dim 32, so that the block types apply; context 64.
TinySpec spec32() {
  TinySpec s;
  s.dim = 128;
  s.n_heads = 4;
  s.n_kv_heads = 2;
  return s;
}

class Loaded {
 public:
  explicit Loaded(const TinyModel& m) : path_(dir_.write("tiny.gguf", m.writer().build())) {}
  Model load() const { return Model::load(path_); }

 private:
  gguf::testing::TestDir dir_;
  std::filesystem::path path_;
};

std::vector<int32_t> text(size_t n, uint32_t seed) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 7 + seed * 13 + i * i) % 40);
  return t;
}

// Logits after each token, decoding one at a time: (n, vocab).
std::vector<float> decode_each(Session& s, const std::vector<int32_t>& tokens) {
  std::vector<float> out;
  for (const int32_t& t : tokens) {
    const auto l = s.eval({&t, 1});
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

// Logits of every token, reading in chunks of the session's size: (n, vocab).
std::vector<float> prefill_all(Session& s, const std::vector<int32_t>& tokens) {
  std::vector<float> out;
  for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(s.chunk())) {
    const size_t n = std::min(static_cast<size_t>(s.chunk()), tokens.size() - start);
    const auto l = s.eval_all({tokens.data() + start, n});
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

std::string name(KvType t) { return std::string(kernels::kv_type_name(t)); }

TEST(KvOptions, ChunksStepsAndThreadsGiveIdenticalLogitsForEveryTypeAndWindow) {
  const TinyModel m = make_tiny_model(spec32());
  const Loaded file(m);
  const Model model = file.load();
  const std::vector<int32_t> tokens = text(50, 1);
  for (const KvType type : kTypes) {
    Session steps(model, {.n_ctx = 64, .chunk = 1, .kv_type = type});
    const std::vector<float> no_window = decode_each(steps, tokens);
    for (const int64_t window : {0, 8, 20}) {
      for (const SessionOptions& o : {SessionOptions{.n_ctx = 64, .chunk = 4, .kv_type = type, .kv_window = window},
                                      SessionOptions{.n_ctx = 64, .chunk = 7, .n_threads = 2, .kv_type = type,
                                                     .kv_window = window}}) {
        // The ring's size depends on the chunk (window + chunk - 1 rows), and
        // with it where the keys wrap, which the SIMD kernels' blocks of keys
        // follow: so with a window, compare chunks to steps of the same session shape.
        Session one_by_one(model, o);
        const std::vector<float> want = window == 0 ? no_window : decode_each(one_by_one, tokens);
        Session s(model, o);
        ASSERT_EQ(prefill_all(s, tokens), want) << name(type) << " window " << window << " chunk " << o.chunk;
      }
    }
  }
}

// max |a - b| / max |b| over the logits.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0;
  double scale = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

TEST(KvOptions, TypesStayCloseToF32InOrderOfPrecision) {
  const TinyModel m = make_tiny_model(spec32());
  const Loaded file(m);
  const Model model = file.load();
  const std::vector<int32_t> tokens = text(40, 2);
  Session f32(model, {.n_ctx = 64, .chunk = 8});
  const std::vector<float> want = prefill_all(f32, tokens);
  double previous = 0.0;
  for (const KvType type : {KvType::kF16, KvType::kQ8_0, KvType::kQ4_0}) {
    Session s(model, {.n_ctx = 64, .chunk = 8, .kv_type = type});
    const double d = relative_difference(prefill_all(s, tokens), want);
    // Each element's relative rounding error is at most 2^-11 (f16), ~1/254
    // of its block's largest (q8_0) and ~1/16 of it (q4_0); through two
    // layers of attention the logits move by about as much.
    const double bound = type == KvType::kF16 ? 0x1p-9 : type == KvType::kQ8_0 ? 0.03 : 0.3;
    EXPECT_GT(d, 0.0) << name(type) << ": the cache type must change something";
    EXPECT_LT(d, bound) << name(type);
    EXPECT_GT(d, previous) << name(type) << " should lose more than the type before it";
    previous = d;
  }
}

TEST(KvOptions, BlockTypesNeedAHeadDimOfBlocks) {
  const TinyModel m = make_tiny_model({}); // head_dim 16
  const Loaded file(m);
  const Model model = file.load();
  EXPECT_NO_THROW(Session(model, {.n_ctx = 32, .kv_type = KvType::kF16}));
  for (const KvType type : {KvType::kQ8_0, KvType::kQ4_0}) {
    try {
      Session(model, {.n_ctx = 32, .kv_type = type});
      ADD_FAILURE() << name(type) << " accepted a head_dim of 16";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("head_dim"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(name(type)), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(Session(model, {.n_ctx = 32, .kv_window = -1}), std::invalid_argument);
}

TEST(KvOptions, AWindowAsLongAsTheTextChangesNothingAndAShorterOneForgets) {
  const TinyModel m = make_tiny_model(spec32());
  const Loaded file(m);
  const Model model = file.load();
  const std::vector<int32_t> tokens = text(60, 3);
  Session full(model, {.n_ctx = 64, .chunk = 4});
  const std::vector<float> want = prefill_all(full, tokens);
  Session long_window(model, {.n_ctx = 64, .chunk = 4, .kv_window = 60});
  EXPECT_EQ(prefill_all(long_window, tokens), want);

  Session windowed(model, {.n_ctx = 64, .chunk = 4, .kv_window = 10});
  EXPECT_LT(windowed.memory_bytes(), full.memory_bytes());
  const std::vector<float> got = prefill_all(windowed, tokens); // 60 positions through 13 rows
  EXPECT_EQ(windowed.n_past(), 60);
  const size_t vocab = static_cast<size_t>(m.spec.vocab);
  // The first 10 positions see everything before them either way.
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + 10 * vocab, want.begin()));
  // Later ones do not see the start any more.
  EXPECT_FALSE(std::equal(got.begin() + 10 * vocab, got.end(), want.begin() + 10 * vocab));
}

TEST(KvOptions, RewindStopsWhereTheWindowHasRotated) {
  const TinyModel m = make_tiny_model(spec32());
  const Loaded file(m);
  const Model model = file.load();
  // window 8, chunk 4: a ring of 11 rows
  Session s(model, {.n_ctx = 64, .chunk = 4, .kv_window = 8});
  const std::vector<int32_t> tokens = text(30, 4);
  s.eval(tokens);
  // Position 29 attends to 22..28, all still there (row 22 % 11 is reused
  // by position 33 only); position 20 would attend to 13..19, but positions
  // 24..29 reused their rows.
  EXPECT_TRUE(s.can_rewind(29));
  EXPECT_TRUE(s.can_rewind(26));
  EXPECT_FALSE(s.can_rewind(25));
  EXPECT_THROW(s.rewind(20), std::invalid_argument);
  EXPECT_EQ(s.reusable_prefix(tokens), 30);
  std::vector<int32_t> other = tokens;
  other[28] = (other[28] + 1) % 40;
  EXPECT_EQ(s.reusable_prefix(other), 28);
  other[24] = (other[24] + 1) % 40;
  EXPECT_EQ(s.reusable_prefix(other), 0) << "positions 24.. differ and no shorter prefix is intact";

  // What a rewind keeps gives the logits of evaluating again from there.
  Session fresh(model, {.n_ctx = 64, .chunk = 4, .kv_window = 8});
  const std::vector<float> want = decode_each(fresh, tokens);
  s.rewind(27);
  const auto l = s.eval({tokens.data() + 27, 3});
  EXPECT_TRUE(std::equal(l.begin(), l.end(), want.end() - static_cast<std::ptrdiff_t>(m.spec.vocab)));
}

TEST(PromptCache, ReusingAPrefixGivesTheLogitsOfAFreshEvaluation) {
  const TinyModel m = make_tiny_model(spec32());
  const Loaded file(m);
  const Model model = file.load();
  // A shared "system prompt" of 20 tokens, then two different requests.
  std::vector<int32_t> first = text(20, 5);
  std::vector<int32_t> second = first;
  for (int32_t t : text(9, 6)) first.push_back(t);
  for (int32_t t : text(13, 7)) second.push_back(t);
  for (const KvType type : kTypes) {
    for (const int64_t window : {0, 16}) {
      // Chunks of 4: every call stays on the per-query attention path, so the
      // rows of the kept prefix are bit for bit what a fresh evaluation
      // computes. (From 8 tokens on the AVX-512 kernel tiles the queries, and a
      // prefix split into other calls than a fresh evaluation's would agree
      // within rounding only.)
      const SessionOptions o{.n_ctx = 64, .chunk = 4, .kv_type = type, .kv_window = window};
      Session fresh(model, o);
      const auto f = fresh.eval(second);
      const std::vector<float> want(f.begin(), f.end());

      Session s(model, o);
      EXPECT_EQ(keep_cached_prefix(s, first, true), 0);
      s.eval(first);
      const int64_t kept = keep_cached_prefix(s, second, true);
      EXPECT_EQ(kept, window == 0 ? 20 : 0) << name(type) << ": with a window of 16, 29 positions rotated past 20";
      const auto l = s.eval(std::span(second).subspan(static_cast<size_t>(kept)));
      EXPECT_EQ(std::vector<float>(l.begin(), l.end()), want) << name(type) << " window " << window;

      // The same request again: everything but the last token is kept.
      EXPECT_EQ(keep_cached_prefix(s, second, true), static_cast<int64_t>(second.size()) - 1);
      const auto again = s.eval(std::span(second).last(1));
      EXPECT_EQ(std::vector<float>(again.begin(), again.end()), want);
      // Without reuse the session starts over.
      EXPECT_EQ(keep_cached_prefix(s, second, false), 0);
      EXPECT_EQ(s.n_past(), 0);
    }
  }
}

} // namespace
} // namespace lathe
