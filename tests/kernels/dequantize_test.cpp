// Tests of the scalar dequantizers and the half / bfloat16 conversions.
//
// Every block is built by hand (scale bytes and code bits set explicitly) and
// the expected values are written out here from the GGUF layout, element by
// element, never by calling the code under test. Scales are powers of two or
// small integers, so every expected value is exact and compared with ==.

#include "kernels/dequantize.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/quant_types.h"

namespace lathe::kernels {
namespace {

// IEEE half bit patterns used as block scales.
constexpr f16_bits kHalfZero = 0x0000;
constexpr f16_bits kHalfQuarter = 0x3400;    // 0.25
constexpr f16_bits kHalfHalf = 0x3800;       // 0.5
constexpr f16_bits kHalfOne = 0x3C00;        // 1.0
constexpr f16_bits kHalfTwo = 0x4000;        // 2.0
constexpr f16_bits kHalfMinusHalf = 0xB800;  // -0.5
constexpr f16_bits kHalfMinusThree = 0xC200; // -3.0

using RowFn = void (*)(const void*, float*, int64_t);

std::vector<float> run(RowFn fn, const void* src, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
  fn(src, out.data(), n);
  return out;
}

// Q4_K / Q5_K: eight 6-bit scales and mins into 12 bytes, as GGUF writes them.
void pack_k_scales(const int (&sc)[8], const int (&mn)[8], uint8_t (&out)[12]) {
  std::memset(out, 0, sizeof out);
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    out[j + 4] = static_cast<uint8_t>(mn[j] | (mn[j + 4] >> 4) << 6);
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | (mn[j + 4] & 0xF) << 4);
  }
}

// Q3_K: sixteen unsigned 6-bit scales (the stored value, before the -32).
void pack_q3_k_scales(const int (&v)[16], uint8_t (&out)[12]) {
  std::memset(out, 0, sizeof out);
  for (int s = 0; s < 16; ++s) {
    if (s < 8) {
      out[s] |= static_cast<uint8_t>(v[s] & 0xF);
    } else {
      out[s - 8] |= static_cast<uint8_t>((v[s] & 0xF) << 4);
    }
    out[8 + s % 4] |= static_cast<uint8_t>((v[s] >> 4) << (2 * (s / 4)));
  }
}

// ---------------------------------------------------------------- halves

// The value of a finite half, straight from the IEEE definition.
double half_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  const double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
  return (h & 0x8000) ? -mag : mag;
}

TEST(Half, ToF32NormalValues) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f); // largest half
  EXPECT_EQ(f16_to_f32(0x0400), 0x1p-14f); // smallest normal
}

TEST(Half, ToF32SubnormalsAndZeros) {
  EXPECT_EQ(f16_to_f32(0x0001), 0x1p-24f);
  EXPECT_EQ(f16_to_f32(0x8001), -0x1p-24f);
  EXPECT_EQ(f16_to_f32(0x03FF), 1023 * 0x1p-24f);
  EXPECT_EQ(f16_to_f32(0x0200), 0x1p-15f);
  EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
  EXPECT_FALSE(std::signbit(f16_to_f32(0x0000)));
  EXPECT_EQ(f16_to_f32(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
}

TEST(Half, ToF32InfAndNan) {
  EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7C01))); // signalling NaN, lowest payload
  EXPECT_TRUE(std::isnan(f16_to_f32(0xFFFF)));
}

TEST(Half, ToF32AllFiniteValuesExact) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00) continue; // inf / NaN, tested above
    ASSERT_EQ(static_cast<double>(f16_to_f32(static_cast<uint16_t>(h))),
              half_value(static_cast<uint16_t>(h)))
        << "h=0x" << std::hex << h;
  }
}

TEST(Half, FromF32ExactValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(-1.0f), 0xBC00);
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(0x1p-14f), 0x0400);
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);
  EXPECT_EQ(f32_to_f16(-1023 * 0x1p-24f), 0x83FF);
}

TEST(Half, FromF32RoundsTiesToEven) {
  // Between 1 (0x3C00, even) and 1 + 2^-10 (0x3C01, odd): a tie goes down.
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01); // just above the tie
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f - 0x1p-20f), 0x3C00); // just below
  // Between 0x3C01 (odd) and 0x3C02 (even): a tie goes up.
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);
  // A mantissa carry moves the exponent: 2 - 2^-11 lies between 0x3BFF and 2.
  EXPECT_EQ(f32_to_f16(2.0f - 0x1p-11f), 0x4000);
}

TEST(Half, FromF32Subnormals) {
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000); // tie between 0 and 1 ulp -> 0
  EXPECT_EQ(f32_to_f16(-0x1p-25f), 0x8000);
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001);         // 0.75 ulp
  EXPECT_EQ(f32_to_f16(0x1p-26f), 0x0000);           // 0.25 ulp
  EXPECT_EQ(f32_to_f16(3 * 0x1p-25f), 0x0002);       // 1.5 ulp: tie -> 2
  EXPECT_EQ(f32_to_f16(5 * 0x1p-25f), 0x0002);       // 2.5 ulp: tie -> 2
  EXPECT_EQ(f32_to_f16(1023.5f * 0x1p-24f), 0x0400); // tie into the smallest normal
  EXPECT_EQ(f32_to_f16(1e-40f), 0x0000);             // a float subnormal
}

TEST(Half, FromF32OverflowInfNan) {
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00); // tie, 65504 is odd -> rounds to inf
  EXPECT_EQ(f32_to_f16(1e6f), 0x7C00);
  EXPECT_EQ(f32_to_f16(-1e6f), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
  for (float nan : {std::numeric_limits<float>::quiet_NaN(), std::bit_cast<float>(0x7F800001u),
                    std::bit_cast<float>(0xFFC00000u)}) {
    const f16_bits h = f32_to_f16(nan);
    EXPECT_EQ(h & 0x7C00, 0x7C00);
    EXPECT_NE(h & 0x03FF, 0) << "a NaN must not become inf";
  }
}

// For a sweep of positive floats below the overflow threshold, the result is
// the nearest half and, on a tie, the even one. The neighbours' values come
// from half_value(), the IEEE definition.
TEST(Half, FromF32IsNearestEvenOnSweep) {
  for (uint32_t bits = 0; bits < 0x477FF000u; bits += 4093) {
    const float f = std::bit_cast<float>(bits);
    const f16_bits h = f32_to_f16(f);
    ASSERT_LT(h, 0x7C00) << "f=" << f;
    const double err = std::abs(static_cast<double>(f) - half_value(h));
    if (h < 0x7BFF) {
      const double up = std::abs(static_cast<double>(f) - half_value(static_cast<uint16_t>(h + 1)));
      ASSERT_TRUE(err < up || (err == up && h % 2 == 0)) << "f=" << f;
    }
    if (h > 0) {
      const double down =
          std::abs(static_cast<double>(f) - half_value(static_cast<uint16_t>(h - 1)));
      ASSERT_TRUE(err < down || (err == down && h % 2 == 0)) << "f=" << f;
    }
    ASSERT_EQ(f32_to_f16(-f), h | 0x8000) << "f=" << f;
  }
}

TEST(Half, RoundTripOfEveryFiniteHalf) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00) continue;
    const auto bits = static_cast<f16_bits>(h);
    ASSERT_EQ(f32_to_f16(f16_to_f32(bits)), bits) << "h=0x" << std::hex << h;
  }
}

TEST(BFloat16, ToF32) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC040), -3.0f);
  EXPECT_EQ(bf16_to_f32(0x3E20), 0.15625f);
  EXPECT_EQ(bf16_to_f32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
  EXPECT_EQ(bf16_to_f32(0x0001), std::bit_cast<float>(0x00010000u)); // float subnormal
}

// ---------------------------------------------------------------- plain rows

TEST(DequantizeFloat, F32IsACopy) {
  const float x[5] = {1.5f, -0.0f, 3e38f, -7.25f, 0x1p-140f};
  const std::vector<float> y = run(scalar::dequantize_row_f32, x, 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(x[i]));
}

TEST(DequantizeFloat, F16Row) {
  const f16_bits x[6] = {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x3800, 0xFC00};
  const std::vector<float> y = run(scalar::dequantize_row_f16, x, 6);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], 0x1p-24f);
  EXPECT_EQ(y[3], 65504.0f);
  EXPECT_EQ(y[4], 0.5f);
  EXPECT_EQ(y[5], -std::numeric_limits<float>::infinity());
}

TEST(DequantizeFloat, Bf16Row) {
  const bf16_bits x[3] = {0x3F80, 0xC040, 0x4049};
  const std::vector<float> y = run(scalar::dequantize_row_bf16, x, 3);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -3.0f);
  EXPECT_EQ(y[2], 3.140625f);
}

// ---------------------------------------------------------------- 32-element formats

TEST(DequantizeQ40, NibbleOrderAndOffset) {
  BlockQ4_0 b{};
  b.d = kHalfTwo;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  const std::vector<float> y = run(scalar::dequantize_row_q4_0, &b, 32);
  EXPECT_EQ(y[0], -16.0f);  // (0 - 8) * 2
  EXPECT_EQ(y[15], 14.0f);  // (15 - 8) * 2
  EXPECT_EQ(y[16], 14.0f);  // high nibble of qs[0] = 15
  EXPECT_EQ(y[31], -16.0f); // high nibble of qs[15] = 0
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j - 8) * 2.0f) << j;
    EXPECT_EQ(y[j + 16], static_cast<float>(7 - j) * 2.0f) << j;
  }
}

TEST(DequantizeQ40, MultiBlockRow) {
  BlockQ4_0 b[3]{};
  const f16_bits d[3] = {kHalfOne, kHalfMinusHalf, kHalfQuarter};
  const float dv[3] = {1.0f, -0.5f, 0.25f};
  for (int k = 0; k < 3; ++k) {
    b[k].d = d[k];
    for (int j = 0; j < 16; ++j) b[k].qs[j] = static_cast<uint8_t>((j * 7 + k) % 256);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q4_0, b, 96);
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 16; ++j) {
      const int byte = (j * 7 + k) % 256;
      EXPECT_EQ(y[32 * k + j], static_cast<float>((byte & 15) - 8) * dv[k]);
      EXPECT_EQ(y[32 * k + j + 16], static_cast<float>((byte >> 4) - 8) * dv[k]);
    }
  }
}

TEST(DequantizeQ41, ScaleAndMin) {
  BlockQ4_1 b[2]{};
  b[0].d = kHalfHalf;
  b[0].m = kHalfMinusThree;
  b[1].d = kHalfTwo;
  b[1].m = kHalfOne;
  for (int j = 0; j < 16; ++j) {
    b[0].qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
    b[1].qs[j] = static_cast<uint8_t>(0xA5);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q4_1, b, 64);
  EXPECT_EQ(y[0], -3.0f); // 0 * 0.5 - 3
  EXPECT_EQ(y[15], 4.5f); // 15 * 0.5 - 3
  EXPECT_EQ(y[16], 4.5f); // high nibble of qs[0] = 15
  EXPECT_EQ(y[31], -3.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j) * 0.5f - 3.0f);
    EXPECT_EQ(y[j + 16], static_cast<float>(15 - j) * 0.5f - 3.0f);
    EXPECT_EQ(y[32 + j], 5 * 2.0f + 1.0f);       // low nibble 5
    EXPECT_EQ(y[32 + j + 16], 10 * 2.0f + 1.0f); // high nibble 10
  }
}

// Fifth bit of element j of a Q5 block: bit j % 8 of qh[j / 8].
int q5_high_bit(const uint8_t (&qh)[4], int j) { return (qh[j / 8] >> (j % 8)) & 1; }

TEST(DequantizeQ50, FifthBitAndOffset) {
  BlockQ5_0 b{};
  b.d = kHalfOne;
  b.qh[0] = 0x01; // element 0
  b.qh[1] = 0x80; // element 15
  b.qh[2] = 0x01; // element 16
  b.qh[3] = 0x80; // element 31
  b.qs[0] = 0xF0; // element 0: low 0, element 16: high 15
  b.qs[15] = 0x0F;
  b.qs[1] = 0x5A;
  const std::vector<float> y = run(scalar::dequantize_row_q5_0, &b, 32);
  EXPECT_EQ(y[0], 0.0f);    // (0 | 16) - 16
  EXPECT_EQ(y[16], 15.0f);  // (15 | 16) - 16
  EXPECT_EQ(y[15], 15.0f);  // (15 | 16) - 16
  EXPECT_EQ(y[31], 0.0f);   // (0 | 16) - 16
  EXPECT_EQ(y[1], -6.0f);   // 10 - 16, no fifth bit
  EXPECT_EQ(y[17], -11.0f); // 5 - 16
  EXPECT_EQ(y[2], -16.0f);  // all zero
}

TEST(DequantizeQ50, MultiBlockFormula) {
  BlockQ5_0 b[2]{};
  const float dv[2] = {0.5f, -0.5f};
  b[0].d = kHalfHalf;
  b[1].d = kHalfMinusHalf;
  const uint8_t qh[2][4] = {{0xA5, 0x0F, 0x3C, 0xF0}, {0x12, 0x34, 0x56, 0x78}};
  for (int k = 0; k < 2; ++k) {
    std::memcpy(b[k].qh, qh[k], 4);
    for (int j = 0; j < 16; ++j) b[k].qs[j] = static_cast<uint8_t>(j * 17 + 3 * k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q5_0, b, 64);
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 32; ++j) {
      const int nib = j < 16 ? b[k].qs[j] & 15 : b[k].qs[j - 16] >> 4;
      const int q = nib + 16 * q5_high_bit(b[k].qh, j);
      EXPECT_EQ(y[32 * k + j], static_cast<float>(q - 16) * dv[k]) << k << "," << j;
    }
  }
}

TEST(DequantizeQ51, FifthBitScaleAndMin) {
  BlockQ5_1 b[2]{};
  const float dv[2] = {0.25f, 2.0f};
  const float mv[2] = {-3.0f, 0.5f};
  b[0].d = kHalfQuarter;
  b[0].m = kHalfMinusThree;
  b[1].d = kHalfTwo;
  b[1].m = kHalfHalf;
  const uint8_t qh[2][4] = {{0xFF, 0x00, 0x81, 0x7E}, {0x01, 0x00, 0x00, 0x80}};
  for (int k = 0; k < 2; ++k) {
    std::memcpy(b[k].qh, qh[k], 4);
    for (int j = 0; j < 16; ++j) b[k].qs[j] = static_cast<uint8_t>(255 - j * 13 - k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q5_1, b, 64);
  // Element 31 of block 1: high nibble of qs[15] = (255 - 195 - 1) >> 4 = 3, fifth bit set.
  EXPECT_EQ(y[63], 19 * 2.0f + 0.5f);
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 32; ++j) {
      const int nib = j < 16 ? b[k].qs[j] & 15 : b[k].qs[j - 16] >> 4;
      const int q = nib + 16 * q5_high_bit(b[k].qh, j);
      EXPECT_EQ(y[32 * k + j], static_cast<float>(q) * dv[k] + mv[k]) << k << "," << j;
    }
  }
}

TEST(DequantizeQ80, SignedCodes) {
  BlockQ8_0 b[2]{};
  b[0].d = kHalfQuarter;
  b[1].d = kHalfMinusHalf;
  for (int j = 0; j < 32; ++j) {
    b[0].qs[j] = static_cast<int8_t>(j * 8 - 128); // -128 .. 120
    b[1].qs[j] = static_cast<int8_t>(127 - j);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q8_0, b, 64);
  EXPECT_EQ(y[0], -32.0f);
  EXPECT_EQ(y[32], -63.5f);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j * 8 - 128) * 0.25f);
    EXPECT_EQ(y[32 + j], static_cast<float>(127 - j) * -0.5f);
  }
}

// ---------------------------------------------------------------- K formats

TEST(DequantizeQ2K, BitPairOrder) {
  BlockQ2_K b{};
  b.d = kHalfOne;
  b.dmin = kHalfZero;
  // Every sub-block: scale 1, min 0, so y = code.
  std::memset(b.scales, 0x01, sizeof b.scales);
  b.qs[0] = 0xE4;  // pairs 0,1,2,3 -> elements 0, 32, 64, 96
  b.qs[17] = 0x1B; // pairs 3,2,1,0 -> elements 17, 49, 81, 113
  b.qs[32] = 0x39; // pairs 1,2,3,0 -> elements 128, 160, 192, 224
  b.qs[63] = 0xC0; // pair 3 at bits 6..7 -> element 255
  const std::vector<float> y = run(scalar::dequantize_row_q2_k, &b, 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[32], 1.0f);
  EXPECT_EQ(y[64], 2.0f);
  EXPECT_EQ(y[96], 3.0f);
  EXPECT_EQ(y[17], 3.0f);
  EXPECT_EQ(y[49], 2.0f);
  EXPECT_EQ(y[81], 1.0f);
  EXPECT_EQ(y[113], 0.0f);
  EXPECT_EQ(y[128], 1.0f);
  EXPECT_EQ(y[160], 2.0f);
  EXPECT_EQ(y[192], 3.0f);
  EXPECT_EQ(y[224], 0.0f);
  EXPECT_EQ(y[223], 0.0f);
  EXPECT_EQ(y[255], 3.0f);
}

TEST(DequantizeQ2K, ScalesMinsAndMultiBlock) {
  BlockQ2_K b[2]{};
  const float d[2] = {0.5f, 2.0f};
  const float dmin[2] = {0.25f, -0.5f};
  b[0].d = kHalfHalf;
  b[0].dmin = kHalfQuarter;
  b[1].d = kHalfTwo;
  b[1].dmin = kHalfMinusHalf;
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 16; ++s)
      b[k].scales[s] = static_cast<uint8_t>(((s + k) & 15) | (15 - s) << 4);
    for (int i = 0; i < 64; ++i) b[k].qs[i] = static_cast<uint8_t>(i * 37 + 11 + k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q2_k, b, 512);
  // Element 200 of block 0: half 1, pair 2, byte 32 + 8 = 40; sub-block 12.
  {
    const int q = (b[0].qs[40] >> 4) & 3;
    EXPECT_EQ(y[200], 0.5f * static_cast<float>(b[0].scales[12] & 15) * static_cast<float>(q) -
                          0.25f * static_cast<float>(b[0].scales[12] >> 4));
  }
  for (int k = 0; k < 2; ++k) {
    for (int e = 0; e < 256; ++e) {
      const int half = e / 128, pair = (e % 128) / 32, i = e % 32, sub = e / 16;
      const int q = (b[k].qs[32 * half + i] >> (2 * pair)) & 3;
      const float sc = static_cast<float>(b[k].scales[sub] & 15);
      const float mn = static_cast<float>(b[k].scales[sub] >> 4);
      EXPECT_EQ(y[256 * k + e], d[k] * sc * static_cast<float>(q) - dmin[k] * mn) << k << "," << e;
    }
  }
}

TEST(DequantizeQ3K, ScaleUnpackingAllQuarters) {
  BlockQ3_K b{};
  b.d = kHalfHalf;
  // Codes all 0 with no high bit: q - 4 = -4 everywhere, so y = 0.5 * sc * -4.
  b.scales[0] = 0x21;  // low 4 bits: sub-block 0 -> 1, sub-block 8 -> 2
  b.scales[4] = 0x53;  // sub-block 4 -> 3, sub-block 12 -> 5
  b.scales[8] = 0xE4;  // high 2 bits: sub-block 0 -> 0, 4 -> 1, 8 -> 2, 12 -> 3
  b.scales[11] = 0x40; // high bits of sub-blocks 3, 7, 11, 15: only 15 gets 0b01
  const std::vector<float> y = run(scalar::dequantize_row_q3_k, &b, 256);
  EXPECT_EQ(y[0], 62.0f);    // sc = (1 | 0 << 4) - 32 = -31
  EXPECT_EQ(y[64], 26.0f);   // sc = (3 | 1 << 4) - 32 = -13
  EXPECT_EQ(y[128], -4.0f);  // sc = (2 | 2 << 4) - 32 = 2
  EXPECT_EQ(y[192], -42.0f); // sc = (5 | 3 << 4) - 32 = 21
  EXPECT_EQ(y[240], 32.0f);  // sub-block 15: sc = (0 | 1 << 4) - 32 = -16
  EXPECT_EQ(y[16], 64.0f);   // sub-block 1: sc = -32
  EXPECT_EQ(y[255], 32.0f);
}

TEST(DequantizeQ3K, LowBitsAndHmask) {
  BlockQ3_K b{};
  b.d = kHalfOne;
  // Every scale stored as 33 (low 4 bits 1, high 2 bits 0b10): sc = 1, y = q - 4.
  std::memset(b.scales, 0x11, 8);
  std::memset(b.scales + 8, 0xAA, 4);
  b.qs[0] = 0xE4;    // elements 0, 32, 64, 96 get low bits 0, 1, 2, 3
  b.hmask[0] = 0x15; // bits 0, 2, 4: elements 0, 64, 128 get the third bit
  b.qs[32] = 0x03;   // element 128 low bits 3, element 160 low bits 0
  b.qs[37] = 0xC0;   // element 229 (half 1, pair 3, byte 5) low bits 3
  b.hmask[5] = 0x80; // bit 7 of hmask[5]: element 7 * 32 + 5 = 229
  const std::vector<float> y = run(scalar::dequantize_row_q3_k, &b, 256);
  EXPECT_EQ(y[0], 0.0f);   // (0 | 4) - 4
  EXPECT_EQ(y[32], -3.0f); // 1 - 4
  EXPECT_EQ(y[64], 2.0f);  // (2 | 4) - 4
  EXPECT_EQ(y[96], -1.0f); // 3 - 4
  EXPECT_EQ(y[128], 3.0f); // (3 | 4) - 4
  EXPECT_EQ(y[160], -4.0f);
  EXPECT_EQ(y[229], 3.0f);
  EXPECT_EQ(y[197], -4.0f); // element 197 shares hmask[5], but bit 6 is clear
}

TEST(DequantizeQ3K, MultiBlockFormula) {
  BlockQ3_K b[2]{};
  const float d[2] = {0.25f, -2.0f};
  b[0].d = kHalfQuarter;
  b[1].d = 0xC000; // -2.0
  int v[2][16];
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 16; ++s) v[k][s] = (s * 11 + 5 + 29 * k) % 64;
    pack_q3_k_scales(v[k], b[k].scales);
    for (int i = 0; i < 32; ++i) b[k].hmask[i] = static_cast<uint8_t>(i * 29 + 7 * k);
    for (int i = 0; i < 64; ++i) b[k].qs[i] = static_cast<uint8_t>(i * 53 + 1 + k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q3_k, b, 512);
  for (int k = 0; k < 2; ++k) {
    for (int e = 0; e < 256; ++e) {
      const int half = e / 128, pair = (e % 128) / 32, i = e % 32;
      const int lo = (b[k].qs[32 * half + i] >> (2 * pair)) & 3;
      const int hi = (b[k].hmask[i] >> (e / 32)) & 1;
      const float sc = static_cast<float>(v[k][e / 16] - 32);
      EXPECT_EQ(y[256 * k + e], d[k] * sc * static_cast<float>(lo + 4 * hi - 4)) << k << "," << e;
    }
  }
}

TEST(DequantizeQ4K, ScaleMinUnpacking) {
  BlockQ4_K b{};
  b.d = kHalfOne;
  b.dmin = kHalfOne;
  // sub-block 0: scale 3, min 9; sub-block 4: scale 42 (0b101010), min 21 (0b010101).
  b.scales[0] = 0x83; // 3 | (42 >> 4) << 6
  b.scales[4] = 0x49; // 9 | (21 >> 4) << 6
  b.scales[8] = 0x5A; // (42 & 15) | (21 & 15) << 4
  // sub-block 7: scale 63, min 48 (only high bits in bytes 3 and 7).
  b.scales[3] = 0xC0;                   // scale[3] = 0, high bits of scale[7] = 3
  b.scales[7] = 0xC1;                   // min[3] = 1, high bits of min[7] = 3
  b.scales[11] = 0x0F;                  // scale[7] low = 15, min[7] low = 0
  std::memset(b.qs, 0x21, sizeof b.qs); // low nibble 1, high nibble 2
  const std::vector<float> y = run(scalar::dequantize_row_q4_k, &b, 256);
  EXPECT_EQ(y[0], -6.0f); // 3 * 1 - 9
  EXPECT_EQ(y[31], -6.0f);
  EXPECT_EQ(y[32], 0.0f);   // sub-block 1: scale 0, min 0
  EXPECT_EQ(y[96], -1.0f);  // sub-block 3: 0 * 1 - 1
  EXPECT_EQ(y[128], 21.0f); // sub-block 4: 42 * 1 - 21
  EXPECT_EQ(y[159], 21.0f);
  EXPECT_EQ(y[160], 0.0f);
  EXPECT_EQ(y[224], 78.0f); // sub-block 7: 63 * 2 - 48
  EXPECT_EQ(y[255], 78.0f);
}

TEST(DequantizeQ4K, NibbleOrder) {
  BlockQ4_K b{};
  b.d = kHalfOne;
  b.dmin = kHalfZero;
  const int sc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  const int mn[8] = {};
  pack_k_scales(sc, mn, b.scales); // y = code
  b.qs[0] = 0x73;
  b.qs[32] = 0x5C;
  b.qs[127] = 0xF0;
  const std::vector<float> y = run(scalar::dequantize_row_q4_k, &b, 256);
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[32], 7.0f);
  EXPECT_EQ(y[64], 12.0f);
  EXPECT_EQ(y[96], 5.0f);
  EXPECT_EQ(y[223], 0.0f);
  EXPECT_EQ(y[255], 15.0f);
  EXPECT_EQ(y[1], 0.0f);
}

TEST(DequantizeQ4K, MultiBlockFormula) {
  BlockQ4_K b[2]{};
  const float d[2] = {0.5f, -0.25f};
  const float dmin[2] = {0.25f, 2.0f};
  b[0].d = kHalfHalf;
  b[0].dmin = kHalfQuarter;
  b[1].d = 0xB400; // -0.25
  b[1].dmin = kHalfTwo;
  int sc[2][8], mn[2][8];
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 8; ++s) {
      sc[k][s] = (s * 23 + 17 + k) % 64;
      mn[k][s] = (s * 41 + 60 + 7 * k) % 64;
    }
    pack_k_scales(sc[k], mn[k], b[k].scales);
    for (int i = 0; i < 128; ++i) b[k].qs[i] = static_cast<uint8_t>(i * 97 + 5 + k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q4_k, b, 512);
  for (int k = 0; k < 2; ++k) {
    for (int e = 0; e < 256; ++e) {
      const int chunk = e / 64, high = (e % 64) / 32, i = e % 32, sub = e / 32;
      const int q = (b[k].qs[32 * chunk + i] >> (4 * high)) & 15;
      const float expect = d[k] * static_cast<float>(sc[k][sub]) * static_cast<float>(q) -
                           dmin[k] * static_cast<float>(mn[k][sub]);
      EXPECT_EQ(y[256 * k + e], expect) << k << "," << e;
    }
  }
}

TEST(DequantizeQ5K, FifthBit) {
  BlockQ5_K b{};
  b.d = kHalfOne;
  b.dmin = kHalfZero;
  const int sc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  const int mn[8] = {};
  pack_k_scales(sc, mn, b.scales); // y = code
  b.qh[0] = 0x81;                  // element 0 (bit 0) and element 7 * 32 + 0 = 224 (bit 7)
  b.qh[3] = 0x02;                  // element 32 + 3 = 35 (bit 1)
  b.qs[3] = 0x9F;                  // element 3: 15, element 35: 9
  b.qs[96] = 0x0A;                 // element 192: 10, element 224: 0
  const std::vector<float> y = run(scalar::dequantize_row_q5_k, &b, 256);
  EXPECT_EQ(y[0], 16.0f);
  EXPECT_EQ(y[3], 15.0f);
  EXPECT_EQ(y[35], 25.0f); // 9 | 16
  EXPECT_EQ(y[192], 10.0f);
  EXPECT_EQ(y[224], 16.0f);
  EXPECT_EQ(y[32], 0.0f);
}

TEST(DequantizeQ5K, MultiBlockFormula) {
  BlockQ5_K b[2]{};
  const float d[2] = {0.25f, 0.5f};
  const float dmin[2] = {-0.5f, 1.0f};
  b[0].d = kHalfQuarter;
  b[0].dmin = kHalfMinusHalf;
  b[1].d = kHalfHalf;
  b[1].dmin = kHalfOne;
  int sc[2][8], mn[2][8];
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 8; ++s) {
      sc[k][s] = (s * 29 + 40 + k) % 64;
      mn[k][s] = (s * 19 + 3 + 5 * k) % 64;
    }
    pack_k_scales(sc[k], mn[k], b[k].scales);
    for (int i = 0; i < 32; ++i) b[k].qh[i] = static_cast<uint8_t>(i * 71 + 13 * k);
    for (int i = 0; i < 128; ++i) b[k].qs[i] = static_cast<uint8_t>(i * 45 + 9 + k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q5_k, b, 512);
  for (int k = 0; k < 2; ++k) {
    for (int e = 0; e < 256; ++e) {
      const int chunk = e / 64, high = (e % 64) / 32, i = e % 32, sub = e / 32;
      const int lo = (b[k].qs[32 * chunk + i] >> (4 * high)) & 15;
      const int q = lo + 16 * ((b[k].qh[i] >> sub) & 1);
      const float expect = d[k] * static_cast<float>(sc[k][sub]) * static_cast<float>(q) -
                           dmin[k] * static_cast<float>(mn[k][sub]);
      EXPECT_EQ(y[256 * k + e], expect) << k << "," << e;
    }
  }
}

TEST(DequantizeQ6K, LowAndHighBits) {
  BlockQ6_K b{};
  b.d = kHalfOne;
  // Every sub-block scale 1, so y = q - 32.
  std::memset(b.scales, 1, sizeof b.scales);
  b.ql[0] = 0x21;   // element 0 low 1, element 64 low 2
  b.ql[32] = 0x43;  // element 32 low 3, element 96 low 4
  b.qh[0] = 0xE4;   // high bits: element 0 -> 0, 32 -> 1, 64 -> 2, 96 -> 3
  b.ql[64] = 0xF0;  // second half: element 128 low 0, element 192 low 15
  b.qh[32] = 0x30;  // element 192 high 3
  b.ql[127] = 0x0E; // element 128 + 32 + 31 = 191 low 14
  b.qh[63] = 0x0C;  // element 191 high 3 (bits 2..3)
  const std::vector<float> y = run(scalar::dequantize_row_q6_k, &b, 256);
  EXPECT_EQ(y[0], -31.0f);  // 1 - 32
  EXPECT_EQ(y[32], -13.0f); // (3 | 16) - 32
  EXPECT_EQ(y[64], 2.0f);   // (2 | 32) - 32
  EXPECT_EQ(y[96], 20.0f);  // (4 | 48) - 32
  EXPECT_EQ(y[128], -32.0f);
  EXPECT_EQ(y[192], 31.0f); // (15 | 48) - 32
  EXPECT_EQ(y[191], 30.0f); // (14 | 48) - 32
  EXPECT_EQ(y[255], -32.0f);
}

TEST(DequantizeQ6K, SignedScalesPerSubBlock) {
  BlockQ6_K b{};
  b.d = kHalfHalf;
  const int8_t sc[16] = {1, -1, 2, -2, 3, -3, 4, -4, 127, -128, 0, 5, -6, 7, -8, 9};
  std::memcpy(b.scales, sc, sizeof sc);
  std::memset(b.ql, 0x11, sizeof b.ql); // low bits 1
  std::memset(b.qh, 0xAA, sizeof b.qh); // high bits 2: q = 33, q - 32 = 1
  const std::vector<float> y = run(scalar::dequantize_row_q6_k, &b, 256);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(y[e], 0.5f * static_cast<float>(sc[e / 16])) << e;
  EXPECT_EQ(y[128], 63.5f);
  EXPECT_EQ(y[144], -64.0f);
}

TEST(DequantizeQ6K, MultiBlockFormula) {
  BlockQ6_K b[2]{};
  const float d[2] = {0.25f, -0.5f};
  b[0].d = kHalfQuarter;
  b[1].d = kHalfMinusHalf;
  for (int k = 0; k < 2; ++k) {
    for (int s = 0; s < 16; ++s) b[k].scales[s] = static_cast<int8_t>(s * 19 - 100 + k);
    for (int i = 0; i < 128; ++i) b[k].ql[i] = static_cast<uint8_t>(i * 83 + 2 + k);
    for (int i = 0; i < 64; ++i) b[k].qh[i] = static_cast<uint8_t>(i * 59 + 6 * k);
  }
  const std::vector<float> y = run(scalar::dequantize_row_q6_k, b, 512);
  for (int k = 0; k < 2; ++k) {
    for (int e = 0; e < 256; ++e) {
      const int half = e / 128, quarter = (e % 128) / 32, i = e % 32;
      const uint8_t ql = b[k].ql[64 * half + 32 * (quarter % 2) + i];
      const int lo = quarter < 2 ? ql & 15 : ql >> 4;
      const int hi = (b[k].qh[32 * half + i] >> (2 * quarter)) & 3;
      const float expect =
          d[k] * static_cast<float>(b[k].scales[e / 16]) * static_cast<float>(lo + 16 * hi - 32);
      EXPECT_EQ(y[256 * k + e], expect) << k << "," << e;
    }
  }
}

TEST(DequantizeQ8K, FloatScale) {
  BlockQ8_K b[2]{};
  b[0].d = 0.125f;
  b[1].d = -3.0f;
  for (int j = 0; j < 256; ++j) {
    b[0].qs[j] = static_cast<int8_t>(j - 128);
    b[1].qs[j] = static_cast<int8_t>(127 - j % 200);
  }
  for (int g = 0; g < 16; ++g) b[0].bsums[g] = b[1].bsums[g] = 12345; // ignored
  const std::vector<float> y = run(scalar::dequantize_row_q8_k, b, 512);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[255], 15.875f);
  EXPECT_EQ(y[256], -381.0f);
  for (int j = 0; j < 256; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j - 128) * 0.125f);
    EXPECT_EQ(y[256 + j], static_cast<float>(127 - j % 200) * -3.0f);
  }
}

// ---------------------------------------------------------------- dispatch

struct DirectFn {
  QuantType type;
  RowFn fn;
};

constexpr DirectFn kDirect[] = {
    {QuantType::F32, scalar::dequantize_row_f32},   {QuantType::F16, scalar::dequantize_row_f16},
    {QuantType::BF16, scalar::dequantize_row_bf16}, {QuantType::Q4_0, scalar::dequantize_row_q4_0},
    {QuantType::Q4_1, scalar::dequantize_row_q4_1}, {QuantType::Q5_0, scalar::dequantize_row_q5_0},
    {QuantType::Q5_1, scalar::dequantize_row_q5_1}, {QuantType::Q8_0, scalar::dequantize_row_q8_0},
    {QuantType::Q2_K, scalar::dequantize_row_q2_k}, {QuantType::Q3_K, scalar::dequantize_row_q3_k},
    {QuantType::Q4_K, scalar::dequantize_row_q4_k}, {QuantType::Q5_K, scalar::dequantize_row_q5_k},
    {QuantType::Q6_K, scalar::dequantize_row_q6_k}, {QuantType::Q8_K, scalar::dequantize_row_q8_k},
};

// The dispatch must call the matching function: compare bit patterns (random
// bytes may hold NaN scales) over a two-block row of pseudo-random bytes.
TEST(DequantizeDispatch, MatchesDirectCalls) {
  for (const DirectFn& f : kDirect) {
    const auto traits = quant_traits(static_cast<uint32_t>(f.type));
    ASSERT_TRUE(traits.has_value());
    const int64_t n = 2 * kQKK;
    std::vector<uint32_t> storage(static_cast<size_t>(row_bytes(*traits, n) + 3) /
                                  4); // 4-byte aligned
    uint32_t state = 0x12345678u + static_cast<uint32_t>(f.type);
    for (uint32_t& w : storage) w = state = state * 1664525u + 1013904223u;
    std::vector<float> via_dispatch(n), direct(n);
    ASSERT_TRUE(scalar::dequantize_row(f.type, storage.data(), via_dispatch.data(), n))
        << traits->name;
    f.fn(storage.data(), direct.data(), n);
    EXPECT_EQ(std::memcmp(via_dispatch.data(), direct.data(), n * sizeof(float)), 0)
        << traits->name;
  }
}

TEST(DequantizeDispatch, FalseAndNoWriteWithoutDequantizer) {
  const uint8_t src[512] = {};
  for (QuantType t : {QuantType::IQ2_XXS, QuantType::Q8_1, QuantType::IQ4_NL, QuantType::I32}) {
    std::vector<float> dst(256, 42.0f);
    EXPECT_FALSE(scalar::dequantize_row(t, src, dst.data(), 256)) << static_cast<int>(t);
    for (float v : dst) ASSERT_EQ(v, 42.0f);
  }
}

// The traits table's `dequantizable` flag and the dispatch agree on every id.
TEST(DequantizeDispatch, AgreesWithTraitsTable) {
  std::vector<uint32_t> zeros(1024, 0); // large enough for 256 elements of any type
  std::vector<float> dst(256);
  for (uint32_t id = 0; id < 64; ++id) {
    const auto traits = quant_traits(id);
    if (!traits) continue;
    const int64_t n = 256;
    EXPECT_EQ(scalar::dequantize_row(static_cast<QuantType>(id), zeros.data(), dst.data(), n),
              traits->dequantizable)
        << traits->name;
  }
}

} // namespace
} // namespace lathe::kernels
