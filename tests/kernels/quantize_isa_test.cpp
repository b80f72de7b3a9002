// The activation quantizers (Q8_0, Q8_1, Q8_K) of the ISA compiled in against
// the scalar reference, and tiny hand-made rows with exact answers.
//
// A quantizer's output feeds integer arithmetic, so there is no tolerance:
// every ISA must produce the reference's bytes exactly (same amax, same
// multiplier, round half to even, same f16 rounding of the scales).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/dequantize.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

constexpr f16_bits kHalfOne = 0x3C00;

struct Format {
  ActivationType type;
  int64_t block;
};

std::vector<Format> formats() {
  return {{ActivationType::kQ8_0, kQK}, {ActivationType::kQ8_1, kQK}, {ActivationType::kQ8_K, kQKK}};
}

// Random rows with the awkward cases planted: an all-zero block, values exactly
// half-way between two codes, and in Q8_K the largest magnitude twice, with
// both signs (the first one decides the sign of the scale).
std::vector<float> awkward_row(Rng& rng, int64_t n, int64_t block, float stddev) {
  std::vector<float> x = random_floats(rng, n, stddev);
  if (n >= 2 * block) {
    for (int64_t j = 0; j < block; ++j) x[block + j] = 0.0f; // block 1 all zero
  }
  // block 0: amax = 127 * 0.25, so codes are x / 0.25 and x = (k + 0.5) * 0.25 are ties
  for (int64_t j = 0; j < block; ++j) x[j] = (static_cast<float>(j % 40) - 20.0f + 0.5f) * 0.25f;
  x[3] = -127.0f * 0.25f;
  x[block - 2] = 127.0f * 0.25f;
  return x;
}

TEST(QuantizeIsaTest, MatchesScalarBitForBit) {
  for (const Format f : formats()) {
    const QuantizeRowFn q = isa().quantizer(f.type);
    const QuantizeRowFn q_ref = ref().quantizer(f.type);
    ASSERT_NE(q, nullptr);
    if (same_kernel(q, q_ref)) continue; // the ISA uses the scalar quantizer
    Rng rng(99u + static_cast<uint32_t>(f.type));
    for (const int64_t blocks : {1, 2, 3, 7}) {
      for (const float stddev : {1.0f, 1e-3f, 1e3f}) {
        const int64_t n = blocks * f.block;
        const std::vector<float> x = awkward_row(rng, n, f.block, stddev);
        const auto bytes = static_cast<size_t>(activation_row_bytes(f.type, n));
        std::vector<uint8_t> got(bytes, 0xAB);
        std::vector<uint8_t> want(bytes, 0xCD);
        q(x.data(), got.data(), n);
        q_ref(x.data(), want.data(), n);
        EXPECT_EQ(got, want) << activation_type_name(f.type) << " blocks=" << blocks << " stddev=" << stddev;
      }
    }
  }
}

// Integer inputs whose largest magnitude is 127: the scale is exactly 1 and
// the codes are the inputs themselves.
std::vector<float> integer_row(int64_t n, float first_extreme) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) x[j] = static_cast<float>((j * 37) % 255 - 127) * 0.5f; // |x| < 64
  for (int64_t b = 0; b < n; b += 32) x[b + 5] = first_extreme;                           // then +-127
  for (int64_t b = 0; b < n; b += 32) x[b + 20] = -first_extreme;
  return x;
}

class QuantizeExactTest : public ::testing::TestWithParam<bool> {
 protected:
  const KernelTable& table() const { return GetParam() ? isa() : ref(); }
};

TEST_P(QuantizeExactTest, Q8_0CodesAreTheIntegers) {
  // codes round(x * 127 / 127) = x, rounding halves (x.5) to even
  const std::vector<float> x = integer_row(64, 127.0f);
  std::vector<BlockQ8_0> y(2);
  table().quantize_q8_0(x.data(), y.data(), 64);
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(y[b].d, kHalfOne);
    for (int j = 0; j < kQK; ++j) {
      EXPECT_EQ(y[b].qs[j], static_cast<int8_t>(std::nearbyint(x[32 * b + j])))
          << "block " << b << " element " << j;
    }
  }
}

TEST_P(QuantizeExactTest, Q8_1StoresTheCodeSum) {
  const std::vector<float> x = integer_row(32, -127.0f);
  BlockQ8_1 y;
  table().quantize_q8_1(x.data(), &y, 32);
  int sum = 0;
  for (int j = 0; j < kQK; ++j) sum += static_cast<int>(std::nearbyint(x[j]));
  EXPECT_EQ(y.d, kHalfOne);
  EXPECT_EQ(f16_to_f32(y.s), static_cast<float>(sum)); // |sum| < 2048: exact in f16
}

TEST_P(QuantizeExactTest, Q8_KTakesTheSignOfTheFirstExtreme) {
  // The first element of largest magnitude maps to -127: scale -1 if it is
  // +127 (codes are -x), +1 if it is -127 (codes are x).
  for (const float first : {127.0f, -127.0f}) {
    std::vector<float> x = integer_row(256, first);
    BlockQ8_K y;
    table().quantize_q8_k(x.data(), &y, 256);
    const float sign = first > 0 ? -1.0f : 1.0f;
    EXPECT_EQ(y.d, sign);
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int j = 16 * g; j < 16 * g + 16; ++j) {
        const int want = static_cast<int>(std::nearbyint(sign * x[j]));
        EXPECT_EQ(y.qs[j], want) << "element " << j;
        sum += want;
      }
      EXPECT_EQ(y.bsums[g], sum) << "group " << g;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ScalarAndIsa, QuantizeExactTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Isa" : "Scalar");
                         });

} // namespace
} // namespace lathe::kernels::testing
