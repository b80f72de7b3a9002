// Element-wise kernels and activation quantizers of the table this build
// compiled in against the scalar reference: lengths that sweep every tail of
// the 16-lane loops, the default models' sizes, and the edges of the vector
// exp (overflow, underflow, infinities, NaN). The x86 kernels promise more
// than a tolerance where they do the reference's float operations in the
// same order: add and rope are compared bit for bit there.

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

bool is_x86(std::string_view isa) { return isa == "avx2" || isa == "avx512" || isa == "scalar"; }

std::vector<int64_t> lengths() {
  std::vector<int64_t> n;
  for (int64_t i = 1; i <= 70; ++i) n.push_back(i); // every remainder mod 16, four times
  for (int64_t i : {576, 896, 1536, 4864}) n.push_back(i);
  return n;
}

TEST(ElementwiseSimdTest, RmsNorm) {
  Rng rng(11);
  for (const int64_t n : lengths()) {
    const std::vector<float> x = random_floats(rng, n, 3.0f);
    const std::vector<float> w = random_floats(rng, n);
    std::vector<float> y(static_cast<size_t>(n));
    std::vector<float> y_ref(static_cast<size_t>(n));
    isa().rmsnorm(x.data(), w.data(), y.data(), n, 1e-6f);
    ref().rmsnorm(x.data(), w.data(), y_ref.data(), n, 1e-6f);
    for (int64_t i = 0; i < n; ++i) {
      // Both sum the float squares in double, in different orders: the two
      // sums differ by far less than a float ulp (n < 2^13 terms, 2^-53
      // each), so the float mean, and 1 / sqrt of it, differ by at most one
      // rounding each: scale within 2 eps. Then (x * scale) * w rounds
      // twice on either side: |y - y_ref| <= 4 eps |y|.
      ASSERT_NEAR(y[i], y_ref[i], 4 * FLT_EPSILON * std::fabs(y_ref[i])) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ElementwiseSimdTest, RmsNormInPlace) {
  Rng rng(12);
  std::vector<float> x = random_floats(rng, 896);
  const std::vector<float> w = random_floats(rng, 896);
  std::vector<float> y(896);
  isa().rmsnorm(x.data(), w.data(), y.data(), 896, 1e-6f);
  isa().rmsnorm(x.data(), w.data(), x.data(), 896, 1e-6f); // y may alias x
  EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0);
}

// |y - y_ref| for SiLU(g) * up: the vector e^-g is within 2 ulp (2 eps
// relative) of the reference's; 1 + e, the division and the product each
// round once on either side: within 8 eps |y| in all, where y is finite.
void expect_silu_close(float got, float want, float g) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << "g=" << g;
  } else if (std::isinf(want) || want == 0.0f) {
    EXPECT_EQ(got, want) << "g=" << g;
  } else {
    EXPECT_NEAR(got, want, 8 * FLT_EPSILON * std::fabs(want) + FLT_MIN) << "g=" << g;
  }
}

TEST(ElementwiseSimdTest, SiluMul) {
  Rng rng(13);
  for (const int64_t n : lengths()) {
    const std::vector<float> g = random_floats(rng, n, 4.0f);
    const std::vector<float> up = random_floats(rng, n);
    std::vector<float> y(static_cast<size_t>(n));
    std::vector<float> y_ref(static_cast<size_t>(n));
    isa().silu_mul(g.data(), up.data(), y.data(), n);
    ref().silu_mul(g.data(), up.data(), y_ref.data(), n);
    for (int64_t i = 0; i < n; ++i) expect_silu_close(y[i], y_ref[i], g[i]);
  }
}

TEST(ElementwiseSimdTest, SiluMulAcrossTheRangeOfExp) {
  // g from -100 to 100 (e^-g from overflow to underflow), the edges of exp's
  // range, and the special values; 16-lane blocks and a tail.
  std::vector<float> g;
  for (int i = -2000; i <= 2000; ++i) g.push_back(static_cast<float>(i) * 0.05f);
  for (const float e : {88.72f, 88.73f, -88.72f, -88.73f, 87.3f, -87.3f, 103.9f, -103.9f, 1e-30f, -1e-30f, 0.0f,
                        -0.0f, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX}) {
    g.push_back(e);
  }
  g.push_back(std::numeric_limits<float>::infinity());
  g.push_back(-std::numeric_limits<float>::infinity());
  g.push_back(std::numeric_limits<float>::quiet_NaN());
  const std::vector<float> up(g.size(), 1.5f);
  std::vector<float> y(g.size());
  std::vector<float> y_ref(g.size());
  isa().silu_mul(g.data(), up.data(), y.data(), static_cast<int64_t>(g.size()));
  ref().silu_mul(g.data(), up.data(), y_ref.data(), static_cast<int64_t>(g.size()));
  for (size_t i = 0; i < g.size(); ++i) expect_silu_close(y[i], y_ref[i], g[i]);
}

TEST(ElementwiseSimdTest, AddIsExact) {
  Rng rng(14);
  for (const int64_t n : lengths()) {
    std::vector<float> x = random_floats(rng, n);
    std::vector<float> x_ref = x;
    const std::vector<float> y = random_floats(rng, n);
    isa().add(x.data(), y.data(), n);
    ref().add(x_ref.data(), y.data(), n);
    ASSERT_EQ(std::memcmp(x.data(), x_ref.data(), x.size() * sizeof(float)), 0) << "n=" << n;
  }
}

TEST(ElementwiseSimdTest, RopeBothLayouts) {
  Rng rng(15);
  struct Shape {
    int64_t heads, head_dim, rope_dim;
  };
  // rope_dim of 128 and 256 crosses the kernels' chunks of 32 pairs; odd pair
  // counts (rope_dim 34, 18) leave tails; rope_dim < head_dim passes the rest through.
  const Shape shapes[] = {{14, 64, 64}, {3, 128, 128}, {2, 256, 256}, {5, 48, 34}, {4, 64, 18}, {1, 16, 16}};
  std::vector<float> factors(128);
  for (float& f : factors) f = rng.uniform(1.0f, 8.0f);
  for (const Shape& sh : shapes) {
    for (const RopeLayout layout : {RopeLayout::kNeox, RopeLayout::kInterleaved}) {
      for (const bool with_factors : {false, true}) {
        for (const int64_t pos : {0, 1, 17, 4095, 32000}) {
          RopeParams p;
          p.head_dim = sh.head_dim;
          p.rope_dim = sh.rope_dim;
          p.theta_scale = std::pow(10000.0f, -2.0f / static_cast<float>(sh.rope_dim));
          p.freq_scale = with_factors ? 0.25f : 1.0f;
          p.freq_factors = with_factors ? factors.data() : nullptr;
          p.layout = layout;
          std::vector<float> x = random_floats(rng, sh.heads * sh.head_dim);
          std::vector<float> x_ref = x;
          isa().rope(x.data(), sh.heads, pos, p);
          ref().rope(x_ref.data(), sh.heads, pos, p);
          for (size_t i = 0; i < x.size(); ++i) {
            if (is_x86(isa().isa)) {
              // same cos / sin calls and the same products and sums per pair
              ASSERT_EQ(x[i], x_ref[i]) << "layout " << static_cast<int>(layout) << " pos " << pos << " i " << i;
            } else {
              // two products and a sum per output: 3 roundings on either side
              ASSERT_NEAR(x[i], x_ref[i], 6 * FLT_EPSILON * (std::fabs(x[i]) + 1.0f)) << "pos " << pos << " i " << i;
            }
          }
        }
      }
    }
  }
}

// The quantizers must give the scalar reference's bytes exactly, on long
// rows and on values at the edges of float: denormals, the largest floats,
// and rows where the largest magnitude appears with both signs.
TEST(QuantizeSimdTest, BytesIdenticalOnLongAndExtremeRows) {
  Rng rng(16);
  std::vector<std::vector<float>> rows;
  rows.push_back(random_floats(rng, 4864, 5.0f));
  rows.push_back(random_floats(rng, 8192 + 256, 1e-3f));
  // Tiny values, some of them denormal; every block's largest magnitude stays
  // above 127 / FLT_MAX, so that the inverse scales are finite (as they are
  // for any activation a model produces).
  std::vector<float> tiny(512);
  for (float& v : tiny) v = rng.uniform(-1.0f, 1.0f) * 1e-36f;
  rows.push_back(tiny);
  std::vector<float> huge(512);
  for (float& v : huge) v = rng.uniform(-1.0f, 1.0f) * FLT_MAX;
  rows.push_back(huge);
  std::vector<float> ties(512);
  for (size_t i = 0; i < ties.size(); ++i) ties[i] = (i % 7 == 3) ? ((i / 7) % 2 ? -4.0f : 4.0f) : rng.uniform(-4.0f, 4.0f);
  rows.push_back(ties);
  for (const ActivationType act : {ActivationType::kQ8_0, ActivationType::kQ8_1, ActivationType::kQ8_K}) {
    for (const std::vector<float>& x : rows) {
      const int64_t n = static_cast<int64_t>(x.size());
      std::vector<uint8_t> got(static_cast<size_t>(activation_row_bytes(act, n)), 0xAA);
      std::vector<uint8_t> want(got.size(), 0x55);
      isa().quantizer(act)(x.data(), got.data(), n);
      ref().quantizer(act)(x.data(), want.data(), n);
      ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0)
          << activation_type_name(act) << " n=" << n << " first value " << x[0];
    }
  }
}

} // namespace
} // namespace lathe::kernels::testing
