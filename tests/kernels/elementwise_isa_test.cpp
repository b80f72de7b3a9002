// RMS norm, SiLU * up, add and rope of the ISA compiled in, against the
// scalar reference on random data (lengths sweeping every vector tail), plus
// tiny hand-made cases with exact answers run on both tables.

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"

namespace lathe::kernels::testing {
namespace {

std::vector<int64_t> lengths() {
  std::vector<int64_t> n;
  for (int64_t i = 1; i <= 40; ++i) n.push_back(i); // every remainder mod 4, 8 and 16
  for (int64_t i : {63, 64, 65, 896, 4097}) n.push_back(i);
  return n;
}

TEST(ElementwiseIsaTest, RmsNormMatchesScalar) {
  if (same_kernel(isa().rmsnorm, ref().rmsnorm)) GTEST_SKIP() << isa().isa << " uses the scalar rmsnorm";
  Rng rng(11);
  for (const int64_t n : lengths()) {
    const std::vector<float> x = random_floats(rng, n, 3.0f);
    const std::vector<float> w = random_floats(rng, n);
    std::vector<float> y(x.size());
    std::vector<float> y_ref(x.size());
    std::vector<float> in_place = x; // y may alias x
    isa().rmsnorm(x.data(), w.data(), y.data(), n, 1e-6f);
    ref().rmsnorm(x.data(), w.data(), y_ref.data(), n, 1e-6f);
    isa().rmsnorm(in_place.data(), w.data(), in_place.data(), n, 1e-6f);
    for (int64_t i = 0; i < n; ++i) {
      // Both sum the squares in double, so the float mean differs by at most
      // one rounding, and 1 / sqrt(mean + eps) by at most 2 eps relative; the
      // products (x * scale) * w are formed in the same order: 4 eps relative.
      const double tol = 4.0 * FLT_EPSILON * std::fabs(y_ref[i]);
      EXPECT_NEAR(y[i], y_ref[i], tol) << "n=" << n << " i=" << i;
      EXPECT_EQ(in_place[i], y[i]) << "in place, n=" << n << " i=" << i;
    }
  }
}

TEST(ElementwiseIsaTest, SiluMulMatchesScalar) {
  if (same_kernel(isa().silu_mul, ref().silu_mul)) GTEST_SKIP() << isa().isa << " uses the scalar silu_mul";
  Rng rng(12);
  for (const int64_t n : lengths()) {
    std::vector<float> g = random_floats(rng, n, 4.0f);
    const std::vector<float> up = random_floats(rng, n);
    // the ends of exp's range: e^-g overflows, underflows or goes subnormal
    const float extremes[] = {-100.0f, -88.5f, -87.0f, -20.0f, 0.0f, 20.0f, 87.0f, 88.5f, 100.0f};
    for (int64_t i = 0; i < n && i < 9; ++i) g[i * 7 % n] = extremes[i];
    std::vector<float> y(g.size());
    std::vector<float> y_ref(g.size());
    std::vector<float> in_place = g; // y may alias gate
    isa().silu_mul(g.data(), up.data(), y.data(), n);
    ref().silu_mul(g.data(), up.data(), y_ref.data(), n);
    isa().silu_mul(in_place.data(), up.data(), in_place.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      // A vector exp within a few ulp of std::exp (and inf where it overflows),
      // then the same add, divide and multiply: 8 eps relative, plus FLT_MIN
      // where the result is subnormal (an absolute, not relative, rounding).
      const double tol = 8.0 * FLT_EPSILON * std::fabs(y_ref[i]) + FLT_MIN;
      EXPECT_NEAR(y[i], y_ref[i], tol) << "n=" << n << " g=" << g[i];
      EXPECT_EQ(in_place[i], y[i]) << "in place, n=" << n << " i=" << i;
    }
  }
}

TEST(ElementwiseIsaTest, AddIsExact) {
  Rng rng(13);
  for (const int64_t n : lengths()) {
    std::vector<float> x = random_floats(rng, n);
    std::vector<float> x_ref = x;
    const std::vector<float> y = random_floats(rng, n);
    isa().add(x.data(), y.data(), n);
    ref().add(x_ref.data(), y.data(), n);
    EXPECT_EQ(x, x_ref) << "n=" << n; // one float addition per element, no freedom of order
  }
}

struct RopeCase {
  RopeLayout layout;
  int64_t rope_dim;
  int64_t extra; // head_dim - rope_dim: dimensions that pass through
  int64_t n_heads;
};

std::vector<RopeCase> rope_cases() {
  std::vector<RopeCase> cases;
  for (const RopeLayout layout : {RopeLayout::kInterleaved, RopeLayout::kNeox}) {
    for (const int64_t rope_dim : {2, 4, 6, 8, 10, 12, 14, 16, 30, 64, 128}) { // pairs mod 4: every tail
      cases.push_back({layout, rope_dim, 0, 3});
      cases.push_back({layout, rope_dim, 6, 2});
    }
  }
  return cases;
}

TEST(ElementwiseIsaTest, RopeMatchesScalar) {
  if (same_kernel(isa().rope, ref().rope)) GTEST_SKIP() << isa().isa << " uses the scalar rope";
  Rng rng(14);
  for (const RopeCase& c : rope_cases()) {
    const std::vector<float> factors = [&] {
      std::vector<float> f(static_cast<size_t>(c.rope_dim / 2));
      for (float& v : f) v = rng.uniform(1.0f, 8.0f);
      return f;
    }();
    for (const bool with_factors : {false, true}) {
      for (const int64_t pos : {0, 1, 17, 1000}) {
        RopeParams p;
        p.head_dim = c.rope_dim + c.extra;
        p.rope_dim = c.rope_dim;
        p.theta_scale = std::pow(10000.0f, -2.0f / static_cast<float>(c.rope_dim));
        p.freq_scale = with_factors ? 0.25f : 1.0f;
        p.freq_factors = with_factors ? factors.data() : nullptr;
        p.layout = c.layout;
        const std::vector<float> x0 = random_floats(rng, c.n_heads * p.head_dim);
        std::vector<float> x = x0;
        std::vector<float> x_ref = x0;
        isa().rope(x.data(), c.n_heads, pos, p);
        ref().rope(x_ref.data(), c.n_heads, pos, p);
        for (int64_t h = 0; h < c.n_heads; ++h) {
          float head_max = 0.0f;
          for (int64_t i = 0; i < p.head_dim; ++i)
            head_max = std::fmax(head_max, std::fabs(x0[h * p.head_dim + i]));
          for (int64_t i = 0; i < p.head_dim; ++i) {
            const int64_t at = h * p.head_dim + i;
            if (i >= p.rope_dim) {
              EXPECT_EQ(x[at], x0[at]) << "dimension " << i << " is past rope_dim";
              continue;
            }
            // Same angles, same cos / sin; each output x0 c -+ x1 s is within
            // 2u (|x0| + |x1|) <= 4u max|x| of exact on either side: 8u apart.
            const double tol = 4.0 * FLT_EPSILON * head_max;
            EXPECT_NEAR(x[at], x_ref[at], tol)
                << "rope_dim=" << c.rope_dim << " pos=" << pos << " head " << h << " dim " << i
                << (c.layout == RopeLayout::kNeox ? " neox" : "");
          }
        }
      }
    }
  }
}

// --- Hand-made cases with exact answers, on the scalar and the ISA table ---

class ElementwiseExactTest : public ::testing::TestWithParam<bool> {
 protected:
  const KernelTable& table() const { return GetParam() ? isa() : ref(); }
};

TEST_P(ElementwiseExactTest, RmsNormOfAConstantRowIsTheWeight) {
  // x = 2 everywhere: mean square 4, scale 1 / sqrt(4) = 0.5, y = (2 * 0.5) * w = w
  for (const int64_t n : {1, 5, 8, 19}) {
    const std::vector<float> x(static_cast<size_t>(n), 2.0f);
    std::vector<float> w(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(i) - 3.5f;
    std::vector<float> y(x.size());
    table().rmsnorm(x.data(), w.data(), y.data(), n, 0.0f);
    EXPECT_EQ(y, w) << "n=" << n;
  }
}

TEST_P(ElementwiseExactTest, SiluOfZeroIsZero) {
  const std::vector<float> g = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const std::vector<float> up = {1.0f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  std::vector<float> y(6, 1.0f);
  table().silu_mul(g.data(), up.data(), y.data(), 6);
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST_P(ElementwiseExactTest, RopeAtPositionZeroIsIdentity) {
  // angle 0: cos 1, sin 0, so every pair is unchanged exactly
  for (const RopeLayout layout : {RopeLayout::kInterleaved, RopeLayout::kNeox}) {
    RopeParams p;
    p.head_dim = 20;
    p.rope_dim = 18;
    p.theta_scale = 0.5f;
    p.layout = layout;
    std::vector<float> x(40);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.75f - 9.0f;
    const std::vector<float> x0 = x;
    table().rope(x.data(), 2, 0, p);
    EXPECT_EQ(x, x0);
  }
}

INSTANTIATE_TEST_SUITE_P(ScalarAndIsa, ElementwiseExactTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Isa" : "Scalar");
                         });

} // namespace
} // namespace lathe::kernels::testing
