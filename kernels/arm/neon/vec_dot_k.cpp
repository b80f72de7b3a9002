// Row dot products for the 256-element K formats against Q8_K activations.
//
// Layouts (see kernels/scalar/dequantize.cpp):
//   Q4_K  128 bytes of nibbles in four 32-byte chunks; chunk c holds sub-block
//         2c (elements 64c..64c+31) in its low nibbles and sub-block 2c + 1 in
//         its high nibbles; eight 6-bit scales and mins in 12 bytes.
//   Q5_K  as Q4_K plus a fifth bit per element: bit 2c (low) or 2c + 1 (high)
//         of qh[i] for element i of the chunk's two sub-blocks.
//   Q6_K  two halves of 128; in half h, element 32k + i (k = 0..3, i < 32)
//         takes its low four bits from ql[64h + i + 32 (k & 1)] (low nibble
//         for k < 2, high for k >= 2) and its top two from bits 2k..2k+1 of
//         qh[32h + i]; codes minus 32; one int8 scale per 16 elements.
//
// Accumulation: per super-block, codes are unpacked in registers and summed
// against the activation codes with sdot (int32, exact). Per-sub-block sums
// are multiplied by their integer scales in int32 lanes (vmlaq), so a
// super-block costs one horizontal add; the Q4_K/Q5_K minimum term uses the
// activation's precomputed 16-element sums (bsums). Super-blocks meet their
// float scales and are summed in float, as in the scalar reference. The _1x4
// variants (for matmul) unpack each super-block once for four activation rows.

#include <arm_neon.h>

#include <cstdint>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/scalar/formats.h"

namespace lathe::kernels::neon {
namespace {

// Q4_K / Q5_K scales and mins: the scalar reference's unpacking.
using scalar::formats::k_scale_min;

// sum_s min[s] * (bsums[2s] + bsums[2s + 1]) over the eight 32-element sub-blocks.
inline int32_t min_sum_k(const int* min, const int16_t* bsums) {
  // pairs[s] = bsums[2s] + bsums[2s + 1]; |pairs| <= 32 * 127 fits int16
  const int16x8_t pairs = vpaddq_s16(vld1q_s16(bsums), vld1q_s16(bsums + 8));
  // mins[s] = min[s] (0..63), narrowed from int32
  const int16x8_t mins = vcombine_s16(vmovn_s32(vld1q_s32(min)), vmovn_s32(vld1q_s32(min + 4)));
  // prod[i] = pairs[i] * mins[i] + pairs[4 + i] * mins[4 + i]
  const int32x4_t prod = vmlal_s16(vmull_s16(vget_low_s16(pairs), vget_low_s16(mins)), vget_high_s16(pairs),
                                   vget_high_s16(mins));
  return vaddvq_s32(prod);
}

// The codes of one 32-byte Q4_K / Q5_K chunk: its two 32-element sub-blocks.
struct ChunkCodes {
  Codes32 low;  // sub-block 2c
  Codes32 high; // sub-block 2c + 1
};

inline ChunkCodes q4_k_chunk(const uint8_t* qs) {
  const uint8x16_t q0 = vld1q_u8(qs);
  const uint8x16_t q1 = vld1q_u8(qs + 16);
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  return {{vreinterpretq_s8_u8(vandq_u8(q0, m4)), vreinterpretq_s8_u8(vandq_u8(q1, m4))},
          {vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)), vreinterpretq_s8_u8(vshrq_n_u8(q1, 4))}};
}

// Adds the fifth bits to a Q4-style chunk: qh0/qh1 are qh[0..16) and qh[16..32)
// already shifted right by 2c, so bit 0 belongs to the low sub-block and bit 1
// to the high one.
inline ChunkCodes add_fifth_bit(ChunkCodes q, uint8x16_t qh0, uint8x16_t qh1) {
  const uint8x16_t b4 = vdupq_n_u8(0x10);
  // low: (qh & 1) << 4; high: (qh & 2) << 3
  q.low.lo = vorrq_s8(q.low.lo, vreinterpretq_s8_u8(vandq_u8(vshlq_n_u8(qh0, 4), b4)));
  q.low.hi = vorrq_s8(q.low.hi, vreinterpretq_s8_u8(vandq_u8(vshlq_n_u8(qh1, 4), b4)));
  q.high.lo = vorrq_s8(q.high.lo, vreinterpretq_s8_u8(vandq_u8(vshlq_n_u8(qh0, 3), b4)));
  q.high.hi = vorrq_s8(q.high.hi, vreinterpretq_s8_u8(vandq_u8(vshlq_n_u8(qh1, 3), b4)));
  return q;
}

// Q4_K (kFifthBit false) and Q5_K, one weight row against kTokens activation
// rows (each super-block unpacked once for all of them); per token and
// super-block: d * dx * sum_s scale[s] * (codes_s . x_s) - dmin * dx * sum_s min[s] * bsum_s.
template <class Block, bool kFifthBit, int kTokens>
void dot_rows_k_scale_min(const Block* __restrict wb, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  float sum[kTokens];
  for (int t = 0; t < kTokens; ++t) sum[t] = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const Block& wk = wb[b];
    int scale[8];
    int min[8];
    k_scale_min(wk.scales, scale, min);

    uint8x16_t qh0 = vdupq_n_u8(0);
    uint8x16_t qh1 = vdupq_n_u8(0);
    if constexpr (kFifthBit) {
      qh0 = vld1q_u8(wk.qh);
      qh1 = vld1q_u8(wk.qh + 16);
    }
    int32x4_t acc[kTokens];
    for (int t = 0; t < kTokens; ++t) acc[t] = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      ChunkCodes q = q4_k_chunk(wk.qs + 32 * c);
      if constexpr (kFifthBit) {
        q = add_fifth_bit(q, qh0, qh1);
        qh0 = vshrq_n_u8(qh0, 2); // the next chunk's two bits to the bottom
        qh1 = vshrq_n_u8(qh1, 2);
      }
      for (int t = 0; t < kTokens; ++t) {
        const int8_t* xq = xs[t][b].qs + 64 * c;
        // acc[i] += scale * (lane i of the sub-block's sdot sums)
        acc[t] = vmlaq_n_s32(acc[t], dot32(q.low, xq), scale[2 * c]);
        acc[t] = vmlaq_n_s32(acc[t], dot32(q.high, xq + 32), scale[2 * c + 1]);
      }
    }
    const float d = half_to_float(wk.d);
    const float dmin = half_to_float(wk.dmin);
    for (int t = 0; t < kTokens; ++t) {
      const BlockQ8_K& xk = xs[t][b];
      const int32_t isum = vaddvq_s32(acc[t]);
      const int32_t msum = min_sum_k(min, xk.bsums);
      sum[t] += d * xk.d * static_cast<float>(isum) - dmin * xk.d * static_cast<float>(msum);
    }
  }
  for (int t = 0; t < kTokens; ++t) out[t] = sum[t];
}

// Four 16-element group sums, one per lane: lane g = sum of the four lanes of d[g].
inline int32x4_t reduce4(int32x4_t d0, int32x4_t d1, int32x4_t d2, int32x4_t d3) {
  // addp: [d0[0]+d0[1], d0[2]+d0[3], d1[0]+d1[1], d1[2]+d1[3]], then once more
  return vpaddq_s32(vpaddq_s32(d0, d1), vpaddq_s32(d2, d3));
}

// Q6_K, one weight row against kTokens activation rows; per token and
// super-block: d * dx * sum_g scale[g] * (codes_g . x_g) over 16 groups of 16.
template <int kTokens>
void dot_rows_q6_k(const BlockQ6_K* __restrict wb, const BlockQ8_K* const* xs, int64_t nb, float* out) {
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  const uint8x16_t m2 = vdupq_n_u8(0x30); // the two high bits, in place at bits 4..5
  const int8x16_t offset = vdupq_n_s8(32);
  const int32x4_t zero = vdupq_n_s32(0);
  float sum[kTokens];
  for (int t = 0; t < kTokens; ++t) sum[t] = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& wk = wb[b];
    // all sixteen scales widened to int32, four per vector
    const int16x8_t s16_lo = vmovl_s8(vld1_s8(wk.scales));
    const int16x8_t s16_hi = vmovl_s8(vld1_s8(wk.scales + 8));
    const int32x4_t scales[4] = {vmovl_s16(vget_low_s16(s16_lo)), vmovl_s16(vget_high_s16(s16_lo)),
                                 vmovl_s16(vget_low_s16(s16_hi)), vmovl_s16(vget_high_s16(s16_hi))};
    int32x4_t acc[kTokens];
    for (int t = 0; t < kTokens; ++t) acc[t] = zero;
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = wk.ql + 64 * h;
      const uint8x16_t qh0 = vld1q_u8(wk.qh + 32 * h);      // i = 0..15
      const uint8x16_t qh1 = vld1q_u8(wk.qh + 32 * h + 16); // i = 16..31
      const uint8x16_t ql0 = vld1q_u8(ql);
      const uint8x16_t ql1 = vld1q_u8(ql + 16);
      const uint8x16_t ql2 = vld1q_u8(ql + 32);
      const uint8x16_t ql3 = vld1q_u8(ql + 48);
      // the 8 groups of 16 codes of this half, in element order, as 0..63:
      // k = 0: ql[i] & 15 | (qh bits 0..1) << 4   k = 1: ql[32 + i] & 15 | (bits 2..3) << 2
      // k = 2: ql[i] >> 4 | (qh bits 4..5)        k = 3: ql[32 + i] >> 4 | (bits 6..7) >> 2
      const uint8x16_t u[8] = {
          vorrq_u8(vandq_u8(ql0, m4), vandq_u8(vshlq_n_u8(qh0, 4), m2)),
          vorrq_u8(vandq_u8(ql1, m4), vandq_u8(vshlq_n_u8(qh1, 4), m2)),
          vorrq_u8(vandq_u8(ql2, m4), vandq_u8(vshlq_n_u8(qh0, 2), m2)),
          vorrq_u8(vandq_u8(ql3, m4), vandq_u8(vshlq_n_u8(qh1, 2), m2)),
          vorrq_u8(vshrq_n_u8(ql0, 4), vandq_u8(qh0, m2)),
          vorrq_u8(vshrq_n_u8(ql1, 4), vandq_u8(qh1, m2)),
          vorrq_u8(vshrq_n_u8(ql2, 4), vandq_u8(vshrq_n_u8(qh0, 2), m2)),
          vorrq_u8(vshrq_n_u8(ql3, 4), vandq_u8(vshrq_n_u8(qh1, 2), m2)),
      };
      int8x16_t q[8];
      for (int g = 0; g < 8; ++g) q[g] = vsubq_s8(vreinterpretq_s8_u8(u[g]), offset); // codes - 32: -32..31
      for (int t = 0; t < kTokens; ++t) {
        const int8_t* xq = xs[t][b].qs + 128 * h;
        int32x4_t d[8];
        for (int g = 0; g < 8; ++g) d[g] = vdotq_s32(zero, q[g], vld1q_s8(xq + 16 * g)); // group g's sdot
        // acc[g] += scale of group g * its sum, four groups at a time
        acc[t] = vmlaq_s32(acc[t], reduce4(d[0], d[1], d[2], d[3]), scales[2 * h]);
        acc[t] = vmlaq_s32(acc[t], reduce4(d[4], d[5], d[6], d[7]), scales[2 * h + 1]);
      }
    }
    const float d = half_to_float(wk.d);
    for (int t = 0; t < kTokens; ++t) sum[t] += d * xs[t][b].d * static_cast<float>(vaddvq_s32(acc[t]));
  }
  for (int t = 0; t < kTokens; ++t) out[t] = sum[t];
}

// A row dot product (one token) and its four-token variant from a dot_rows template.
template <class Block, void (*Rows1)(const Block* __restrict, const BlockQ8_K* const*, int64_t, float*)>
float vec_dot_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* xb = static_cast<const BlockQ8_K*>(x);
  float out;
  Rows1(static_cast<const Block*>(w), &xb, n / kQKK, &out);
  return out;
}

template <class Block, void (*Rows4)(const Block* __restrict, const BlockQ8_K* const*, int64_t, float*)>
void vec_dot_4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  const BlockQ8_K* xb[4];
  for (int t = 0; t < 4; ++t) xb[t] = static_cast<const BlockQ8_K*>(x[t]);
  Rows4(static_cast<const Block*>(w), xb, n / kQKK, out);
}

} // namespace

float vec_dot_q4_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ4_K, dot_rows_k_scale_min<BlockQ4_K, false, 1>>(w, x, n);
}
float vec_dot_q5_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ5_K, dot_rows_k_scale_min<BlockQ5_K, true, 1>>(w, x, n);
}
float vec_dot_q6_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ6_K, dot_rows_q6_k<1>>(w, x, n);
}

void vec_dot_q4_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ4_K, dot_rows_k_scale_min<BlockQ4_K, false, 4>>(w, x, n, out);
}
void vec_dot_q5_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ5_K, dot_rows_k_scale_min<BlockQ5_K, true, 4>>(w, x, n, out);
}
void vec_dot_q6_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ6_K, dot_rows_q6_k<4>>(w, x, n, out);
}

} // namespace lathe::kernels::neon
