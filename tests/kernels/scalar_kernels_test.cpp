// Tests of the scalar reference kernels (kernels/scalar): the oracle that every
// SIMD kernel is checked against, checked here against hand-built cases with
// exact answers and against the dequantizers (tested on their own).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/dequantize.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"
#include "kernels/scalar/formats.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels {
namespace {

const KernelTable& k() { return scalar_kernels(); }

// --- f16 -------------------------------------------------------------------

TEST(ScalarHalf, InlineConversionMatchesTheReferenceForEveryBitPattern) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const float want = f16_to_f32(static_cast<f16_bits>(h));
    const float got = scalar::formats::half(static_cast<f16_bits>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(want), std::bit_cast<uint32_t>(got)) << "half bits " << h;
    }
  }
}

// --- Activation quantizers ---------------------------------------------------

TEST(ScalarQuantize, Q8_0MapsTheLargestMagnitudeTo127AndRoundsToEven) {
  // x[j] = (j - 16) / 4: amax = 4 (j = 0), so id = 127 / 4 = 31.75 and
  // q = round_even(31.75 * (j - 16) / 4) = round_even(7.9375 * (j - 16)).
  float x[kQK];
  for (int j = 0; j < kQK; ++j) x[j] = static_cast<float>(j - 16) / 4.0f;
  BlockQ8_0 y;
  k().quantize_q8_0(x, &y, kQK);
  EXPECT_EQ(f16_to_f32(y.d), f16_to_f32(f32_to_f16(4.0f / 127.0f)));
  for (int j = 0; j < kQK; ++j) {
    EXPECT_EQ(y.qs[j], static_cast<int>(std::nearbyint(7.9375 * (j - 16)))) << j;
  }
  EXPECT_EQ(y.qs[0], -127);
}

TEST(ScalarQuantize, Q8_0OfZerosIsZero) {
  float x[kQK] = {};
  BlockQ8_0 y;
  k().quantize_q8_0(x, &y, kQK);
  EXPECT_EQ(f16_to_f32(y.d), 0.0f);
  for (int j = 0; j < kQK; ++j) EXPECT_EQ(y.qs[j], 0);
}

TEST(ScalarQuantize, Q8_1StoresScaleTimesCodeSum) {
  float x[2 * kQK];
  for (int j = 0; j < 2 * kQK; ++j) x[j] = static_cast<float>(j % 7) - 2.0f; // amax 4 in both blocks
  BlockQ8_1 y[2];
  k().quantize_q8_1(x, y, 2 * kQK);
  for (int b = 0; b < 2; ++b) {
    int sum = 0;
    for (int j = 0; j < kQK; ++j) sum += y[b].qs[j];
    // s is the unrounded float scale times the sum, then stored as f16.
    EXPECT_EQ(y[b].s, f32_to_f16(4.0f / 127.0f * static_cast<float>(sum)));
  }
}

TEST(ScalarQuantize, Q8_KMapsTheSignedMaximumToMinus127AndSumsGroupsOf16) {
  std::vector<float> x(kQKK);
  for (int j = 0; j < kQKK; ++j) x[static_cast<size_t>(j)] = static_cast<float>((j % 11) - 5);
  x[37] = 8.0f; // the largest magnitude, positive: it becomes -127, d negative
  BlockQ8_K y;
  k().quantize_q8_k(x.data(), &y, kQKK);
  EXPECT_EQ(y.qs[37], -127);
  EXPECT_FLOAT_EQ(y.d, -8.0f / 127.0f);
  for (int g = 0; g < kQKK / 16; ++g) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) sum += y.qs[16 * g + j];
    EXPECT_EQ(y.bsums[g], sum) << g;
  }
  // Every code is round_even(-127 / 8 * x), clamped at 127.
  for (int j = 0; j < kQKK; ++j) {
    const int want = static_cast<int>(std::nearbyint(-127.0f / 8.0f * x[static_cast<size_t>(j)]));
    EXPECT_EQ(y.qs[j], std::min(127, want)) << j;
  }
}

// --- Row dot products: hand-built blocks --------------------------------------

constexpr f16_bits kHalfOne = 0x3C00;  // 1.0
constexpr f16_bits kHalfTwo = 0x4000;  // 2.0
constexpr f16_bits kHalfHalf = 0x3800; // 0.5

// An activation block of codes 0, 1, ..., 31 (sum 496) with scale 1.
BlockQ8_0 ramp_q8_0() {
  BlockQ8_0 y;
  y.d = kHalfOne;
  for (int j = 0; j < kQK; ++j) y.qs[j] = static_cast<int8_t>(j);
  return y;
}

TEST(ScalarVecDot, Q4_0ByHand) {
  // Every nibble 9 -> code 1; scale 2: each weight is 2, dot = 2 * 496.
  BlockQ4_0 w;
  w.d = kHalfTwo;
  std::memset(w.qs, 0x99, sizeof w.qs);
  const BlockQ8_0 y = ramp_q8_0();
  EXPECT_EQ(scalar::vec_dot_q4_0_q8_0(&w, &y, kQK), 992.0f);
}

TEST(ScalarVecDot, Q5_0ByHand) {
  // Low nibbles 0, fifth bit set on the odd elements: codes 16 - 16 = 0 (odd)
  // and 0 - 16 = -16 (even). Scale 0.5: dot = 0.5 * -16 * (0 + 2 + ... + 30).
  BlockQ5_0 w;
  w.d = kHalfHalf;
  std::memset(w.qs, 0, sizeof w.qs);
  const uint32_t odd = 0xAAAAAAAAu;
  for (int b = 0; b < 4; ++b) w.qh[b] = static_cast<uint8_t>(odd >> (8 * b));
  const BlockQ8_0 y = ramp_q8_0();
  EXPECT_EQ(scalar::vec_dot_q5_0_q8_0(&w, &y, kQK), 0.5f * -16.0f * 240.0f);
}

TEST(ScalarVecDot, Q4_1ByHandUsesTheActivationSum) {
  // Codes 3, scale 1, minimum 2: each weight is 5. Activation ramp, s = 496.
  BlockQ4_1 w;
  w.d = kHalfOne;
  w.m = kHalfTwo;
  std::memset(w.qs, 0x33, sizeof w.qs);
  BlockQ8_1 y;
  y.d = kHalfOne;
  for (int j = 0; j < kQK; ++j) y.qs[j] = static_cast<int8_t>(j);
  y.s = f32_to_f16(496.0f);
  EXPECT_EQ(scalar::vec_dot_q4_1_q8_1(&w, &y, kQK), 5.0f * 496.0f);
}

TEST(ScalarVecDot, Q8_0ByHand) {
  BlockQ8_0 w;
  w.d = kHalfHalf;
  for (int j = 0; j < kQK; ++j) w.qs[j] = static_cast<int8_t>(j % 2 ? -1 : 1);
  const BlockQ8_0 y = ramp_q8_0();
  // 0.5 * (0 - 1 + 2 - 3 + ... - 31) = 0.5 * -16
  EXPECT_EQ(scalar::vec_dot_q8_0_q8_0(&w, &y, kQK), -8.0f);
}

TEST(ScalarVecDot, Q6_KByHand) {
  // Every code 33 - 32 = 1 (ql nibbles 1, qh bits 10 -> 32 + 1), sub-block
  // scale s + 1, d = 1; activation all ones with d = 0.5:
  // dot = 0.5 * sum_s (s + 1) * 16 = 0.5 * 16 * 136.
  BlockQ6_K w;
  std::memset(w.ql, 0x11, sizeof w.ql);
  std::memset(w.qh, 0xAA, sizeof w.qh);
  for (int s = 0; s < 16; ++s) w.scales[s] = static_cast<int8_t>(s + 1);
  w.d = kHalfOne;
  BlockQ8_K y;
  y.d = 0.5f;
  for (int j = 0; j < kQKK; ++j) y.qs[j] = 1;
  for (int g = 0; g < 16; ++g) y.bsums[g] = 16;
  EXPECT_EQ(scalar::vec_dot_q6_k_q8_k(&w, &y, kQKK), 0.5f * 16.0f * 136.0f);
}

TEST(ScalarVecDot, Q4_KByHandSubtractsTheMinimumThroughTheGroupSums) {
  // Codes 2 everywhere, scales 1, mins 3, d = 1, dmin = 1: each weight is
  // 2 - 3 = -1. Activation all ones (d = 1): dot = -256.
  BlockQ4_K w;
  w.d = kHalfOne;
  w.dmin = kHalfOne;
  std::memset(w.qs, 0x22, sizeof w.qs);
  // scale j = 1, min j = 3 for all eight sub-blocks (6-bit packing, see formats.h).
  for (int j = 0; j < 4; ++j) {
    w.scales[j] = 1;
    w.scales[j + 4] = 3;
    w.scales[j + 8] = static_cast<uint8_t>(1 | (3 << 4));
  }
  BlockQ8_K y;
  y.d = 1.0f;
  for (int j = 0; j < kQKK; ++j) y.qs[j] = 1;
  for (int g = 0; g < 16; ++g) y.bsums[g] = 16;
  EXPECT_EQ(scalar::vec_dot_q4_k_q8_k(&w, &y, kQKK), -256.0f);
}

// --- Row dot products: random blocks against the dequantizers -----------------

std::mt19937& rng() {
  static std::mt19937 gen(20240611);
  return gen;
}

// A power of two in [2^-6, 2^-2], as f16 bits (exact in f16 and float).
f16_bits random_scale() {
  std::uniform_int_distribution<int> e(-6, -2);
  return f32_to_f16(std::ldexp(1.0f, e(rng())));
}

// n elements of random weight blocks of `type`, with sane (power-of-two) scales.
std::vector<uint8_t> random_weights(QuantType type, int64_t n) {
  const QuantTraits t = *quant_traits(static_cast<uint32_t>(type));
  std::vector<uint8_t> bytes(static_cast<size_t>(row_bytes(t, n)));
  for (auto& b : bytes) b = static_cast<uint8_t>(rng()());
  const int64_t blocks = n / t.block_size;
  for (int64_t i = 0; i < blocks; ++i) {
    uint8_t* p = bytes.data() + i * t.block_bytes;
    auto set_half = [&](size_t offset) {
      const f16_bits h = random_scale();
      std::memcpy(p + offset, &h, 2);
    };
    switch (type) {
      case QuantType::Q4_0: case QuantType::Q5_0: case QuantType::Q8_0: set_half(0); break;
      case QuantType::Q4_1: case QuantType::Q5_1: set_half(0); set_half(2); break;
      case QuantType::Q2_K: set_half(offsetof(BlockQ2_K, d)); set_half(offsetof(BlockQ2_K, dmin)); break;
      case QuantType::Q3_K: set_half(offsetof(BlockQ3_K, d)); break;
      case QuantType::Q4_K: set_half(offsetof(BlockQ4_K, d)); set_half(offsetof(BlockQ4_K, dmin)); break;
      case QuantType::Q5_K: set_half(offsetof(BlockQ5_K, d)); set_half(offsetof(BlockQ5_K, dmin)); break;
      case QuantType::Q6_K: set_half(offsetof(BlockQ6_K, d)); break;
      default: break;
    }
  }
  return bytes;
}

struct TypeCase {
  QuantType type;
  float (*dot)(const void*, const void*, int64_t);
};

class ScalarVecDotRandom : public ::testing::TestWithParam<TypeCase> {};

// Activations: random floats quantized by the scalar quantizer; the expected
// dot is sum_i w_i * x_i over the dequantized values in double (for the Q8_1
// formats the minimum meets the stored s = f16(d * sum q), as ggml defines).
// The kernel adds one float term per block: the bound allows each addition
// a relative error of 2^-24 of the running sum of magnitudes.
TEST_P(ScalarVecDotRandom, MatchesTheDequantizedDotProduct) {
  const TypeCase c = GetParam();
  const QuantTraits t = *quant_traits(static_cast<uint32_t>(c.type));
  const LinearKernels& lk = *k().linear(c.type);
  for (int64_t n : {t.block_size == kQKK ? int64_t{256} : int64_t{32}, t.block_size == kQKK ? int64_t{1024} : int64_t{896}}) {
    const std::vector<uint8_t> w = random_weights(c.type, n);
    std::vector<float> x(static_cast<size_t>(n));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& v : x) v = normal(rng());
    std::vector<uint8_t> xq(static_cast<size_t>(activation_row_bytes(lk.activation, n)));
    k().quantizer(lk.activation)(x.data(), xq.data(), n);

    std::vector<float> wf(static_cast<size_t>(n)), xf(static_cast<size_t>(n));
    ASSERT_TRUE(scalar::dequantize_row(c.type, w.data(), wf.data(), n));
    double want = 0.0, magnitude = 0.0;
    if (lk.activation == ActivationType::kQ8_1) {
      const auto* yb = reinterpret_cast<const BlockQ8_1*>(xq.data());
      const auto* wm = w.data();
      for (int64_t b = 0; b < n / kQK; ++b) {
        const float dx = f16_to_f32(yb[b].d);
        f16_bits m_bits;
        std::memcpy(&m_bits, wm + b * t.block_bytes + 2, 2);
        const double m = f16_to_f32(m_bits);
        for (int j = 0; j < kQK; ++j) {
          const double wq = wf[static_cast<size_t>(b * kQK + j)] - m; // d * q
          want += wq * dx * yb[b].qs[j];
          magnitude += std::fabs(wq * dx * yb[b].qs[j]);
        }
        want += m * f16_to_f32(yb[b].s);
        magnitude += std::fabs(m * f16_to_f32(yb[b].s));
      }
    } else {
      const QuantType act_type = lk.activation == ActivationType::kQ8_K ? QuantType::Q8_K : QuantType::Q8_0;
      ASSERT_TRUE(scalar::dequantize_row(act_type, xq.data(), xf.data(), n));
      for (int64_t i = 0; i < n; ++i) {
        want += static_cast<double>(wf[static_cast<size_t>(i)]) * xf[static_cast<size_t>(i)];
        magnitude += std::fabs(static_cast<double>(wf[static_cast<size_t>(i)]) * xf[static_cast<size_t>(i)]);
      }
    }
    const double bound = 4.0 * static_cast<double>(n / t.block_size + 1) * std::ldexp(magnitude, -24);
    EXPECT_NEAR(c.dot(w.data(), xq.data(), n), want, bound) << t.name << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, ScalarVecDotRandom,
    ::testing::Values(TypeCase{QuantType::Q4_0, scalar::vec_dot_q4_0_q8_0},
                      TypeCase{QuantType::Q4_1, scalar::vec_dot_q4_1_q8_1},
                      TypeCase{QuantType::Q5_0, scalar::vec_dot_q5_0_q8_0},
                      TypeCase{QuantType::Q5_1, scalar::vec_dot_q5_1_q8_1},
                      TypeCase{QuantType::Q8_0, scalar::vec_dot_q8_0_q8_0},
                      TypeCase{QuantType::Q2_K, scalar::vec_dot_q2_k_q8_k},
                      TypeCase{QuantType::Q3_K, scalar::vec_dot_q3_k_q8_k},
                      TypeCase{QuantType::Q4_K, scalar::vec_dot_q4_k_q8_k},
                      TypeCase{QuantType::Q5_K, scalar::vec_dot_q5_k_q8_k},
                      TypeCase{QuantType::Q6_K, scalar::vec_dot_q6_k_q8_k}),
    [](const auto& info) { return std::string(quant_traits(static_cast<uint32_t>(info.param.type))->name); });

// --- matvec and matmul -----------------------------------------------------------

// For every weight type: matvec writes exactly its row range, each entry equal
// to the row dot product; matmul's entries equal matvec's bit for bit (the
// property that makes prefill and decode agree).
TEST(ScalarLinear, MatvecAndMatmulAgreeBitForBitWithTheRowDot) {
  const QuantType types[] = {QuantType::F32,  QuantType::F16,  QuantType::BF16, QuantType::Q4_0,
                             QuantType::Q4_1, QuantType::Q5_0, QuantType::Q5_1, QuantType::Q8_0,
                             QuantType::Q2_K, QuantType::Q3_K, QuantType::Q4_K, QuantType::Q5_K,
                             QuantType::Q6_K};
  for (QuantType type : types) {
    const QuantTraits t = *quant_traits(static_cast<uint32_t>(type));
    const LinearKernels& lk = *k().linear(type);
    const int64_t n = t.block_size == kQKK ? 2560 : 2112; // more than one matmul unpack piece
    const int64_t rows = 7, tokens = 5;
    std::vector<uint8_t> w;
    if (t.block_size == 1) {
      std::vector<float> f(static_cast<size_t>(rows * n));
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (auto& v : f) v = normal(rng());
      w.resize(static_cast<size_t>(rows * row_bytes(t, n)));
      for (size_t i = 0; i < f.size(); ++i) {
        if (type == QuantType::F32) std::memcpy(w.data() + 4 * i, &f[i], 4);
        if (type == QuantType::F16) { const f16_bits h = f32_to_f16(f[i]); std::memcpy(w.data() + 2 * i, &h, 2); }
        if (type == QuantType::BF16) { const uint16_t h = static_cast<uint16_t>(std::bit_cast<uint32_t>(f[i]) >> 16); std::memcpy(w.data() + 2 * i, &h, 2); }
      }
    } else {
      w = random_weights(type, rows * n);
    }
    std::vector<float> x(static_cast<size_t>(tokens * n));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& v : x) v = normal(rng());
    const int64_t xr = activation_row_bytes(lk.activation, n);
    std::vector<uint8_t> xq(static_cast<size_t>(tokens * xr));
    for (int64_t tk = 0; tk < tokens; ++tk) {
      if (lk.activation == ActivationType::kF32) {
        std::memcpy(xq.data() + tk * xr, x.data() + tk * n, static_cast<size_t>(xr));
      } else {
        k().quantizer(lk.activation)(x.data() + tk * n, xq.data() + tk * xr, n);
      }
    }
    const float sentinel = -12345.0f;
    for (int64_t tk = 0; tk < tokens; ++tk) {
      std::vector<float> y(static_cast<size_t>(rows), sentinel);
      lk.matvec(w.data(), xq.data() + tk * xr, y.data(), n, 2, 6);
      EXPECT_EQ(y[0], sentinel);
      EXPECT_EQ(y[1], sentinel);
      EXPECT_EQ(y[6], sentinel);
      std::vector<float> all(static_cast<size_t>(rows));
      lk.matvec(w.data(), xq.data() + tk * xr, all.data(), n, 0, rows);
      for (int64_t r = 2; r < 6; ++r) EXPECT_EQ(y[static_cast<size_t>(r)], all[static_cast<size_t>(r)]) << t.name;
      std::vector<float> ym(static_cast<size_t>(tokens * 9), sentinel);
      lk.matmul(w.data(), xq.data(), ym.data(), n, tokens, 9, 0, rows);
      for (int64_t r = 0; r < rows; ++r) {
        ASSERT_EQ(ym[static_cast<size_t>(tk * 9 + r)], all[static_cast<size_t>(r)]) << t.name << " row " << r;
      }
      EXPECT_EQ(ym[static_cast<size_t>(tk * 9 + 7)], sentinel) << "matmul wrote past row_end";
    }
  }
}

TEST(ScalarLinear, TableHasNoKernelsForTypesWithoutDotProducts) {
  EXPECT_EQ(k().linear(QuantType::IQ2_XXS), nullptr);
  EXPECT_EQ(k().linear(QuantType::Q8_K), nullptr);
  EXPECT_NE(k().linear(QuantType::Q4_K), nullptr);
  EXPECT_EQ(k().quantizer(ActivationType::kF32), nullptr);
}

// --- Element-wise ----------------------------------------------------------------

TEST(ScalarElementwise, RmsNormByHand) {
  // mean(x^2) = 4 with eps 0: y = x / 2 * w.
  const float x[4] = {2.0f, -2.0f, 2.0f, -2.0f};
  const float w[4] = {1.0f, 2.0f, 0.5f, -1.0f};
  float y[4];
  k().rmsnorm(x, w, y, 4, 0.0f);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[3], 1.0f);
  // In place.
  float z[4] = {2.0f, -2.0f, 2.0f, -2.0f};
  k().rmsnorm(z, w, z, 4, 0.0f);
  EXPECT_EQ(z[1], -2.0f);
}

TEST(ScalarElementwise, SiluMul) {
  const float gate[3] = {0.0f, 1.0f, -2.0f};
  const float up[3] = {5.0f, 2.0f, 3.0f};
  float y[3];
  k().silu_mul(gate, up, y, 3);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 2.0f / (1.0f + std::exp(-1.0f)));
  EXPECT_FLOAT_EQ(y[2], 3.0f * -2.0f / (1.0f + std::exp(2.0f)));
}

TEST(ScalarElementwise, Add) {
  float x[3] = {1.0f, 2.0f, 3.0f};
  const float y[3] = {0.5f, -2.0f, 10.0f};
  k().add(x, y, 3);
  EXPECT_EQ(x[0], 1.5f);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_EQ(x[2], 13.0f);
}

RopeParams rope_params(int64_t head_dim, int64_t rope_dim, RopeLayout layout) {
  RopeParams p;
  p.head_dim = head_dim;
  p.rope_dim = rope_dim;
  p.theta_scale = 0.5f; // pair i turns by pos * 0.5^i
  p.layout = layout;
  return p;
}

TEST(ScalarRope, PositionZeroIsTheIdentity) {
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  k().rope(x, 2, 0, rope_params(4, 4, RopeLayout::kNeox));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(x[i], static_cast<float>(i + 1));
}

TEST(ScalarRope, InterleavedRotatesAdjacentPairsByHand) {
  // One head of 4: pairs (0,1) by angle 2 and (2,3) by angle 2 * 0.5 = 1.
  float x[4] = {1.0f, 0.0f, 0.0f, 1.0f};
  k().rope(x, 1, 2, rope_params(4, 4, RopeLayout::kInterleaved));
  EXPECT_FLOAT_EQ(x[0], std::cos(2.0f));
  EXPECT_FLOAT_EQ(x[1], std::sin(2.0f));
  EXPECT_FLOAT_EQ(x[2], -std::sin(1.0f));
  EXPECT_FLOAT_EQ(x[3], std::cos(1.0f));
}

TEST(ScalarRope, NeoxRotatesHalvesByHand) {
  // One head of 4: pairs (0,2) by angle 2 and (1,3) by angle 1.
  float x[4] = {1.0f, 0.0f, 0.0f, 1.0f};
  k().rope(x, 1, 2, rope_params(4, 4, RopeLayout::kNeox));
  EXPECT_FLOAT_EQ(x[0], std::cos(2.0f));
  EXPECT_FLOAT_EQ(x[2], std::sin(2.0f));
  EXPECT_FLOAT_EQ(x[1], -std::sin(1.0f));
  EXPECT_FLOAT_EQ(x[3], std::cos(1.0f));
}

TEST(ScalarRope, PartialRotationLeavesTheTailAndEveryHeadIsRotatedAlike) {
  // Two heads of 6, rope_dim 4: dims 4 and 5 of each head pass through.
  float x[12] = {1, 0, 0, 1, 7, 8, 1, 0, 0, 1, 9, 10};
  k().rope(x, 2, 3, rope_params(6, 4, RopeLayout::kInterleaved));
  for (int h = 0; h < 2; ++h) {
    EXPECT_FLOAT_EQ(x[6 * h + 0], std::cos(3.0f));
    EXPECT_FLOAT_EQ(x[6 * h + 1], std::sin(3.0f));
    EXPECT_FLOAT_EQ(x[6 * h + 2], -std::sin(1.5f));
    EXPECT_FLOAT_EQ(x[6 * h + 3], std::cos(1.5f));
  }
  EXPECT_EQ(x[4], 7.0f);
  EXPECT_EQ(x[5], 8.0f);
  EXPECT_EQ(x[10], 9.0f);
  EXPECT_EQ(x[11], 10.0f);
}

TEST(ScalarRope, FrequencyFactorsAndScaleDivideTheAngle) {
  // Pair 0: angle 4 / 2 * 0.5 = 1; pair 1: angle 4 * 0.5 / 1 * 0.5 = 1.
  const float factors[2] = {2.0f, 1.0f};
  RopeParams p = rope_params(4, 4, RopeLayout::kInterleaved);
  p.freq_factors = factors;
  p.freq_scale = 0.5f;
  float x[4] = {1.0f, 0.0f, 1.0f, 0.0f};
  k().rope(x, 1, 4, p);
  EXPECT_FLOAT_EQ(x[0], std::cos(1.0f));
  EXPECT_FLOAT_EQ(x[1], std::sin(1.0f));
  EXPECT_FLOAT_EQ(x[2], std::cos(1.0f));
  EXPECT_FLOAT_EQ(x[3], std::sin(1.0f));
}

// --- Attention ---------------------------------------------------------------------

// Four query heads over two KV heads, head_dim 2. Keys are one-hot-ish and the
// queries large, so the softmax is exactly one-hot (exp(-big) == 0 in float)
// and the output is exactly one value row.
TEST(ScalarAttention, OneHotQueriesPickOneValueRowPerHeadGroup) {
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 3; // the query is at position 3 and sees keys 0..3
  s.n_heads = 4;
  s.n_kv_heads = 2;
  s.head_dim = 2;
  s.scale = 1.0f;
  // k: (positions, n_kv_heads * head_dim). KV head 0 has (1,0) at position 1;
  // KV head 1 has (0,1) at position 2; the rest are 0.
  std::vector<float> kc(4 * 4, 0.0f), vc(4 * 4, 0.0f);
  kc[1 * 4 + 0] = 1.0f;
  kc[2 * 4 + 3] = 1.0f;
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 4; ++i) vc[static_cast<size_t>(p * 4 + i)] = static_cast<float>(10 * p + i);
  }
  // Heads 0 and 1 (KV head 0) ask for (1,0); heads 2 and 3 (KV head 1) for (0,1).
  const float q[8] = {1000, 0, 1000, 0, 0, 1000, 0, 1000};
  float out[8];
  std::vector<float> scores(4);
  k().attention(s, q, kc.data(), vc.data(), out, scores.data(), 0, 4);
  for (int h = 0; h < 2; ++h) {
    EXPECT_EQ(out[2 * h + 0], 10.0f); // value row 1, KV head 0 = (10, 11)
    EXPECT_EQ(out[2 * h + 1], 11.0f);
  }
  for (int h = 2; h < 4; ++h) {
    EXPECT_EQ(out[2 * h + 0], 22.0f); // value row 2, KV head 1 = (22, 23)
    EXPECT_EQ(out[2 * h + 1], 23.0f);
  }
}

TEST(ScalarAttention, ZeroQueryAveragesTheVisibleValuesAndIgnoresLaterOnes) {
  // Two queries at positions 1 and 2 (pos0 = 1): uniform weights over 2 and 3 keys.
  AttentionShape s;
  s.n_tokens = 2;
  s.pos0 = 1;
  s.n_heads = 1;
  s.n_kv_heads = 1;
  s.head_dim = 1;
  s.scale = 1.0f;
  const float kc[4] = {0, 0, 0, 1e6f}; // position 3 would dominate if it were visible
  const float vc[4] = {2.0f, 4.0f, 9.0f, 1000.0f};
  const float q[2] = {0.0f, 0.0f};
  float out[2];
  float scores[4];
  k().attention(s, q, kc, vc, out, scores, 0, 1);
  EXPECT_EQ(out[0], 3.0f);                      // (2 + 4) / 2
  EXPECT_FLOAT_EQ(out[1], 5.0f);                // (2 + 4 + 9) / 3
}

TEST(ScalarAttention, HeadRangeWritesOnlyItsHeads) {
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 0;
  s.n_heads = 2;
  s.n_kv_heads = 1;
  s.head_dim = 1;
  const float kc[1] = {1.0f};
  const float vc[1] = {7.0f};
  const float q[2] = {1.0f, 1.0f};
  float out[2] = {-1.0f, -1.0f};
  float scores[1];
  k().attention(s, q, kc, vc, out, scores, 1, 2);
  EXPECT_EQ(out[0], -1.0f);
  EXPECT_EQ(out[1], 7.0f);
}

} // namespace
} // namespace lathe::kernels
