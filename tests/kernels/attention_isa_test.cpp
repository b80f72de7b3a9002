// Causal grouped-query attention of the ISA compiled in against the scalar
// reference on random data, and hand-made cases with exact answers (one-hot
// queries, equal scores, the GQA head mapping, the causal mask) on both tables.

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"

namespace lathe::kernels::testing {
namespace {

struct Shape {
  int64_t n_heads;
  int64_t n_kv_heads;
  int64_t head_dim;
};

// Group sizes 1..7 (tiles of four heads and their remainders), head
// dimensions with and without a remainder modulo 4.
const Shape kShapes[] = {{1, 1, 4}, {4, 4, 8}, {8, 2, 64}, {14, 2, 64}, {6, 1, 6}, {4, 2, 128}, {12, 4, 10}};

TEST(AttentionIsaTest, MatchesScalar) {
  if (same_kernel(isa().attention, ref().attention))
    GTEST_SKIP() << isa().isa << " uses the scalar attention";
  Rng rng(21);
  for (const Shape& sh : kShapes) {
    for (const int64_t n_tokens : {1, 3, 20}) { // 20: the AVX-512 tiled prefill path
      for (const int64_t pos0 : {0, 7, 60}) {
        AttentionShape s;
        s.n_tokens = n_tokens;
        s.pos0 = pos0;
        s.n_heads = sh.n_heads;
        s.n_kv_heads = sh.n_kv_heads;
        s.head_dim = sh.head_dim;
        s.scale = 1.0f / std::sqrt(static_cast<float>(sh.head_dim));
        const int64_t positions = pos0 + n_tokens;
        const int64_t q_width = sh.n_heads * sh.head_dim;
        const int64_t kv_width = sh.n_kv_heads * sh.head_dim;
        const std::vector<float> q = random_floats(rng, n_tokens * q_width, 2.0f);
        const std::vector<float> k = random_floats(rng, positions * kv_width);
        const std::vector<float> v = random_floats(rng, positions * kv_width);
        // all heads, and a middle range (when there is one) whose neighbours stay untouched
        const int64_t begin = sh.n_heads >= 3 ? 1 : 0;
        const int64_t end = sh.n_heads >= 3 ? sh.n_heads - 1 : sh.n_heads;
        for (const auto& [h0, h1] : {std::pair<int64_t, int64_t>{0, sh.n_heads}, {begin, end}}) {
          std::vector<float> out(q.size(), NAN);
          std::vector<float> out_ref(q.size(), NAN);
          // both tables' scratch (the ISA's is at least the keys the scalar one needs)
          std::vector<float> scores(static_cast<size_t>(isa().attention_scratch_floats(s)));
          isa().attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), h0, h1);
          ref().attention(s, q.data(), k.data(), v.data(), out_ref.data(), scores.data(), h0, h1);
          for (int64_t t = 0; t < n_tokens; ++t) {
            const int64_t n_keys = pos0 + t + 1;
            for (int64_t h = 0; h < sh.n_heads; ++h) {
              const float* oh = out.data() + t * q_width + h * sh.head_dim;
              const float* rh = out_ref.data() + t * q_width + h * sh.head_dim;
              if (h < h0 || h >= h1) {
                for (int64_t i = 0; i < sh.head_dim; ++i) EXPECT_TRUE(std::isnan(oh[i])) << "head " << h;
                continue;
              }
              // Error budget, from this head's data:
              // - each score q.k * scale is within (head_dim + 2) u sum_i |q_i k_i| scale
              //   of exact on either side; call the largest difference over keys ds;
              // - shifting every score by at most ds moves each softmax weight by a
              //   factor within e^(+-2 ds), so the output by at most 2 ds max|v|;
              // - exp, the sums of weights and of weighted values, the running-max
              //   rescaling and the final division stay within (2 n_keys + 8) u
              //   relative to sum_p w_p |v_p| <= max|v| on either side.
              const float* qh = q.data() + t * q_width + h * sh.head_dim;
              const int64_t kv = h / (sh.n_heads / sh.n_kv_heads);
              double ds = 0.0;
              double v_max = 0.0;
              for (int64_t p = 0; p < n_keys; ++p) {
                const float* kp = k.data() + p * kv_width + kv * sh.head_dim;
                const float* vp = v.data() + p * kv_width + kv * sh.head_dim;
                double abs_dot = 0.0;
                for (int64_t i = 0; i < sh.head_dim; ++i) {
                  abs_dot += std::fabs(static_cast<double>(qh[i]) * kp[i]);
                  v_max = std::max(v_max, std::fabs(static_cast<double>(vp[i])));
                }
                ds = std::max(ds, static_cast<double>(sh.head_dim + 2) * FLT_EPSILON * abs_dot * s.scale);
              }
              const double tol = v_max * (2.0 * ds + static_cast<double>(2 * n_keys + 8) * FLT_EPSILON);
              for (int64_t i = 0; i < sh.head_dim; ++i) {
                EXPECT_NEAR(oh[i], rh[i], tol)
                    << "heads " << sh.n_heads << "/" << sh.n_kv_heads << " dim " << sh.head_dim << " pos0 "
                    << pos0 << " token " << t << " head " << h << " i " << i;
              }
            }
          }
        }
      }
    }
  }
}

// --- Hand-made cases with exact answers, on the scalar and the ISA table ---

class AttentionExactTest : public ::testing::TestWithParam<bool> {
 protected:
  const KernelTable& table() const { return GetParam() ? isa() : ref(); }

  // Runs all heads; returns out.
  std::vector<float> run(const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
                         const std::vector<float>& v) const {
    std::vector<float> out(q.size(), NAN);
    std::vector<float> scores(static_cast<size_t>(table().attention_scratch_floats(s)));
    table().attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, s.n_heads);
    return out;
  }
};

// v row p of KV head g: distinct integers, never zero.
float v_value(int64_t p, int64_t g, int64_t i) { return static_cast<float>(100 * g + 10 * p + i + 1); }

TEST_P(AttentionExactTest, OneHotQueriesPickTheirKeyThroughTheGqaMapping) {
  // 4 query heads on 2 KV heads (heads 0, 1 -> KV 0; heads 2, 3 -> KV 1), 5
  // keys. Key p of every KV head is 200 * e_p (p < 4) and key 4 is zero;
  // query head h is e_(h % 4), so it scores 200 on key h % 4 and 0 elsewhere:
  // e^-200 is 0 in float, and the output is exactly v row (h % 4) of its KV head.
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 4;
  s.n_heads = 4;
  s.n_kv_heads = 2;
  s.head_dim = 8;
  s.scale = 1.0f;
  std::vector<float> q(4 * 8, 0.0f);
  std::vector<float> k(5 * 2 * 8, 0.0f);
  std::vector<float> v(5 * 2 * 8);
  for (int64_t h = 0; h < 4; ++h) q[h * 8 + h % 4] = 1.0f;
  for (int64_t p = 0; p < 5; ++p) {
    for (int64_t g = 0; g < 2; ++g) {
      if (p < 4) k[(p * 2 + g) * 8 + p] = 200.0f;
      for (int64_t i = 0; i < 8; ++i) v[(p * 2 + g) * 8 + i] = v_value(p, g, i);
    }
  }
  const std::vector<float> out = run(s, q, k, v);
  for (int64_t h = 0; h < 4; ++h) {
    for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(out[h * 8 + i], v_value(h % 4, h / 2, i)) << "head " << h;
  }
}

TEST_P(AttentionExactTest, EqualScoresAverageTheValues) {
  // q . k = 0 for every key: four weights of exactly 1/4, and the values are
  // integers, so the output is their mean exactly.
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 3;
  s.n_heads = 2;
  s.n_kv_heads = 1;
  s.head_dim = 5;
  s.scale = 0.5f;
  const std::vector<float> q(2 * 5, 1.0f);
  const std::vector<float> k(4 * 5, 0.0f);
  std::vector<float> v(4 * 5);
  for (int64_t p = 0; p < 4; ++p) {
    for (int64_t i = 0; i < 5; ++i) v[p * 5 + i] = v_value(p, 0, i);
  }
  const std::vector<float> out = run(s, q, k, v);
  for (int64_t h = 0; h < 2; ++h) {
    for (int64_t i = 0; i < 5; ++i) {
      const float mean = (v_value(0, 0, i) + v_value(1, 0, i) + v_value(2, 0, i) + v_value(3, 0, i)) / 4.0f;
      EXPECT_EQ(out[h * 5 + i], mean) << "head " << h << " i " << i;
    }
  }
}

TEST_P(AttentionExactTest, LaterPositionsAreMasked) {
  // Two tokens at positions 1 and 2; key 2 would win every score (200 vs 0),
  // but token 0 (position 1) must not see it: its output is the mean of
  // values 0 and 1; token 1 (position 2) sees it and gets value 2.
  AttentionShape s;
  s.n_tokens = 2;
  s.pos0 = 1;
  s.n_heads = 1;
  s.n_kv_heads = 1;
  s.head_dim = 4;
  s.scale = 1.0f;
  const std::vector<float> q = {1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f};
  std::vector<float> k(3 * 4, 0.0f);
  k[2 * 4] = 200.0f;
  std::vector<float> v(3 * 4);
  for (int64_t p = 0; p < 3; ++p) {
    for (int64_t i = 0; i < 4; ++i) v[p * 4 + i] = v_value(p, 0, i);
  }
  const std::vector<float> out = run(s, q, k, v);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i], (v_value(0, 0, i) + v_value(1, 0, i)) / 2.0f) << "token 0, i " << i;
    EXPECT_EQ(out[4 + i], v_value(2, 0, i)) << "token 1, i " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(ScalarAndIsa, AttentionExactTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Isa" : "Scalar");
                         });

} // namespace
} // namespace lathe::kernels::testing
