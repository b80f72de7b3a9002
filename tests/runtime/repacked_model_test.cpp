// kernels.matvec_layout: repacked on the default models: Model::load with
// repack gives a repacked copy (64-byte aligned) to exactly the matrices
// whose kernels offer a layout for their type and row length, decode reads
// it, prefill keeps reading the mapping.
//
// Tolerance. The repacked kernel's integer block sums equal the plain
// kernel's; only the float order differs, which moves a layer's input across
// a rounding boundary of its Q8 quantization now and then, as any change of
// float order does. The plain kernel's own distance from the scalar
// reference (`decode`, measured here) shows how far that goes, so repacked
// decode must be within 2 x decode + 1e-3 of the largest |logit| of plain
// decode. Prefill reads the same plain rows either way: equal bit for bit.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "test_models.h"

namespace lathe {
namespace {

std::vector<float> logits_all(Session& s, const std::vector<int32_t>& tokens) {
  std::vector<float> out;
  for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(s.chunk())) {
    const size_t n = std::min(static_cast<size_t>(s.chunk()), tokens.size() - start);
    const auto l = s.eval_all({tokens.data() + start, n});
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

std::vector<int32_t> prompt_tokens(int64_t vocab) {
  std::vector<int32_t> t;
  uint32_t state = 777;
  for (int i = 0; i < 24; ++i) {
    state = state * 1664525u + 1013904223u;
    t.push_back(static_cast<int32_t>(state % static_cast<uint32_t>(std::min<int64_t>(vocab, 20000))));
  }
  return t;
}

double largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

// Checks which matrices got a copy; returns how many did.
int64_t expect_repacked_views(const Model& m) {
  const kernels::KernelTable& k = m.kernels();
  int64_t count = 0;
  const auto check = [&](const WeightView& v) {
    const kernels::RepackedLayout& r = k.linear(v.type)->repacked;
    const bool wanted = r.matvec && (r.max_cols == 0 || v.cols <= r.max_cols);
    EXPECT_EQ(v.repacked != nullptr, wanted) << v.name;
    if (v.repacked) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(v.repacked) % 64, 0u) << v.name;
      ++count;
    }
  };
  for (const LayerWeights& L : m.weights().layers) {
    for (const WeightView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) check(*v);
  }
  check(m.weights().output);
  return count;
}

void expect_repacked_matches_plain(const char* file, bool expect_some) {
  const auto path = testing::require_model(file);
  if (!path) return;
  const Model reference_model = Model::load(*path, kernels::scalar_kernels());
  const Model plain = Model::load(*path);
  const Model repacked = Model::load(*path, kernels::active_kernels(), {}, /*repack=*/true);
  for (const LayerWeights& L : plain.weights().layers) EXPECT_EQ(L.wq.repacked, nullptr);
  const int64_t n_repacked = expect_repacked_views(repacked);
  if (expect_some) {
    EXPECT_GT(n_repacked, 0) << file;
  } else {
    EXPECT_EQ(n_repacked, 0) << file;
  }
  std::printf("%s: %lld matrices repacked (%s)\n", file, static_cast<long long>(n_repacked),
              std::string(kernels::active_kernels().isa).c_str());

  const std::vector<int32_t> tokens = prompt_tokens(plain.config().vocab_size);
  Session ref(reference_model, {.n_ctx = 64, .chunk = 1});
  Session plain_decode(plain, {.n_ctx = 64, .chunk = 1});
  Session repacked_decode(repacked, {.n_ctx = 64, .chunk = 1, .n_threads = 2});
  const std::vector<float> want = logits_all(ref, tokens);
  const std::vector<float> base = logits_all(plain_decode, tokens);
  const std::vector<float> got = logits_all(repacked_decode, tokens);
  ASSERT_EQ(got.size(), base.size());
  float scale = 0.0f;
  for (float v : base) scale = std::max(scale, std::fabs(v));
  const double decode = largest_difference(base, want);
  const double worst = largest_difference(got, base);
  std::printf("%s decode: plain vs scalar %.3g, repacked vs plain %.3g (largest |logit| %.3g)\n", file,
              decode, worst, static_cast<double>(scale));
  EXPECT_LE(worst, 2 * decode + 1e-3 * scale) << file;
  if (n_repacked == 0) {
    EXPECT_EQ(got, base) << file << ": nothing repacked, so the same kernels ran";
  }

  // Prefill (chunks of 8 tokens) reads the mapping either way.
  Session plain_prefill(plain, {.n_ctx = 64, .chunk = 8});
  Session repacked_prefill(repacked, {.n_ctx = 64, .chunk = 8});
  EXPECT_EQ(logits_all(repacked_prefill, tokens), logits_all(plain_prefill, tokens)) << file;
}

TEST(RepackedModel, Qwen25DecodeMatchesPlain) {
  const kernels::RepackedLayout& r = kernels::active_kernels().linear(kernels::QuantType::Q5_0)->repacked;
  expect_repacked_matches_plain(testing::kQwen25, r.matvec != nullptr); // its Q5_0 rows are 896 long
}

TEST(RepackedModel, SmolLm2DecodeMatchesPlain) {
  // Q4_1 and Q8_0: no layout is used for them (they measured no faster).
  expect_repacked_matches_plain(testing::kSmolLm2, false);
}

} // namespace
} // namespace lathe
