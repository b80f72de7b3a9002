// Every prefill.backend on the default models against the scalar reference:
// the logits of every position of a prompt, evaluated in chunks by a session
// over the scalar kernel table (the oracle) and by one per backend over the
// kernel table this build compiled in.
//
// Tolerances. Float rounding that differs from the scalar order moves a
// layer's input across a rounding boundary of its Q8 quantization now and
// then, and that difference grows through the layers; the kernels the decoder
// already uses (matvec, one token at a time) show how far: their largest
// |logit difference| from the scalar reference is measured here as `decode`.
//   native    the same int8 sums as the scalar path, other float order:
//             within 2 x decode + 1e-3 of the largest |logit|
//   openblas, multiply f32 activations (no Q8 quantization of the layer
//   eigen     inputs): besides the rounding, the difference holds the
//             activation quantization's own error: within 2 x decode + 2e-2
//             of the largest |logit|
// Every backend must also pick the reference's most likely next token
// wherever the reference's top two are further apart than twice the tolerance.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
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
  uint32_t state = 12345;
  for (int i = 0; i < 32; ++i) {
    state = state * 1664525u + 1013904223u;
    t.push_back(static_cast<int32_t>(state % static_cast<uint32_t>(std::min<int64_t>(vocab, 20000))));
  }
  return t;
}

void expect_backends_match_scalar(const char* file) {
  const auto path = testing::require_model(file);
  if (!path) return;
  const Model reference_model = Model::load(*path, kernels::scalar_kernels());
  const Model model = Model::load(*path);
  const std::vector<int32_t> tokens = prompt_tokens(model.config().vocab_size);
  const size_t vocab = static_cast<size_t>(model.config().vocab_size);

  Session ref(reference_model, {.n_ctx = 64, .chunk = 16});
  const std::vector<float> want = logits_all(ref, tokens);
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));

  const auto largest_difference = [&](const std::vector<float>& got) {
    double worst = 0.0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(got[i] - want[i])));
    return worst;
  };
  Session decode_session(model, {.n_ctx = 64, .chunk = 1});
  const double decode = largest_difference(logits_all(decode_session, tokens));
  std::printf("%s decode (matvec): largest |logit difference| against scalar %.3g\n", file, decode);

  for (const PrefillBackend backend : {PrefillBackend::kNative, PrefillBackend::kOpenBlas, PrefillBackend::kEigen}) {
    const bool native = backend == PrefillBackend::kNative;
    const double tol = 2 * decode + (native ? 1e-3 : 2e-2) * scale;
    Session s(model, {.n_ctx = 64, .chunk = 16, .n_threads = 2, .prefill_backend = backend});
    const std::vector<float> got = logits_all(s, tokens);
    ASSERT_EQ(got.size(), want.size());
    double worst = 0.0;
    for (size_t t = 0; t < tokens.size(); ++t) {
      const float* g = got.data() + t * vocab;
      const float* w = want.data() + t * vocab;
      for (size_t v = 0; v < vocab; ++v) worst = std::max(worst, static_cast<double>(std::fabs(g[v] - w[v])));
      std::vector<float> sorted(w, w + vocab);
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
      if (sorted[0] - sorted[1] > 2 * tol) {
        EXPECT_EQ(std::max_element(g, g + vocab) - g, std::max_element(w, w + vocab) - w)
            << enum_name(backend) << " position " << t;
      }
    }
    EXPECT_LE(worst, tol) << file << " " << enum_name(backend) << ": largest |logit difference| " << worst
                          << " against the scalar reference (largest |logit| " << scale << ")";
    std::printf("%s %s: largest |logit difference| against scalar %.3g (largest |logit| %.3g)\n", file,
                std::string(enum_name(backend)).c_str(), worst, static_cast<double>(scale));
  }
}

// prefill.gemm_unit: auto (AMX where usable) and vnni give the same logits bit
// for bit: the same integer sums, scaled by the same instructions in the same
// order (kernels/x86/amx/gemm.cpp).
void expect_gemm_units_agree(const char* file) {
  const auto path = testing::require_model(file);
  if (!path) return;
  const Model model = Model::load(*path);
  if (!model.kernels().vector_gemm) {
    std::printf("%s: the gemm already runs on the vector unit (%s); auto and vnni are the same kernels\n", file,
                std::string(model.kernels().gemm_unit).c_str());
  }
  const std::vector<int32_t> tokens = prompt_tokens(model.config().vocab_size);
  Session a(model, {.n_ctx = 64, .chunk = 32, .n_threads = 2, .gemm_unit = PrefillGemmUnit::kAuto});
  Session v(model, {.n_ctx = 64, .chunk = 32, .n_threads = 2, .gemm_unit = PrefillGemmUnit::kVnni});
  const std::vector<float> got = logits_all(a, tokens);
  const std::vector<float> want = logits_all(v, tokens);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << file << " logit " << i;
}

TEST(PrefillGemmUnitModel, SmolLm2AutoEqualsVnni) { expect_gemm_units_agree(testing::kSmolLm2); }
TEST(PrefillGemmUnitModel, Qwen25AutoEqualsVnni) { expect_gemm_units_agree(testing::kQwen25); }

TEST(PrefillBackendModel, SmolLm2EveryBackendMatchesScalar) { expect_backends_match_scalar(testing::kSmolLm2); }
TEST(PrefillBackendModel, Qwen25EveryBackendMatchesScalar) { expect_backends_match_scalar(testing::kQwen25); }

} // namespace
} // namespace lathe
