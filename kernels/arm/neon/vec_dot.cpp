// Row dot products for the float weights and the 32-element block formats.
//
// Quantized formats: each weight block is unpacked in registers to 32 int8
// codes (two 16-byte vectors), multiplied with the Q8 activation codes by two
// sdot instructions (four int32 lanes, exact), and the block's int32 lanes,
// converted to float, are added to a float accumulator with the block's scale
// dw * dx. Two blocks per iteration feed two independent accumulators; the
// four lanes of both are summed once at the end of the row. The formats with
// a minimum (Q4_1, Q5_1) add mw * sx per block, in a separate float sum.
// The _1x4 variants (for matmul) dot one weight row with four activation
// rows, unpacking each weight block once for the four.
// The integer arithmetic is the scalar reference's; only the order of the
// float additions differs.
//
// Float weights: four float32x4 accumulators (16 elements per iteration) with
// fused multiply-add; F16 weights are widened with fcvtl, BF16 by a shift.
// The elements past the last multiple of 16 go to the scalar vec_dot.

#include <arm_neon.h>

#include <cstdint>
#include <type_traits>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::neon {
namespace {

// --- per-block code unpacking, one function per format -------------------

inline Codes32 codes(const BlockQ4_0& b) {
  const Codes32 u = unpack_nibbles(b.qs);
  // centre 0..15 at zero: q - 8
  return {vsubq_s8(u.lo, vdupq_n_s8(8)), vsubq_s8(u.hi, vdupq_n_s8(8))};
}

inline Codes32 codes(const BlockQ4_1& b) { return unpack_nibbles(b.qs); } // 0..15, the minimum is separate

inline uint32_t load_qh(const uint8_t* qh) {
  return uint32_t{qh[0]} | uint32_t{qh[1]} << 8 | uint32_t{qh[2]} << 16 | uint32_t{qh[3]} << 24;
}

// Q5 codes 0..31: the nibble with bit j of qh as its fifth bit.
inline Codes32 codes_q5(const uint8_t* qs, const uint8_t* qh_bytes) {
  const Codes32 u = unpack_nibbles(qs);
  const uint32_t qh = load_qh(qh_bytes);
  // lo[j] |= 0x10 * bit j, hi[j] |= 0x10 * bit (16 + j)
  return {vorrq_s8(u.lo, vreinterpretq_s8_u8(bits_to_0x10(qh & 0xFFFF))),
          vorrq_s8(u.hi, vreinterpretq_s8_u8(bits_to_0x10(qh >> 16)))};
}

inline Codes32 codes(const BlockQ5_0& b) {
  const Codes32 u = codes_q5(b.qs, b.qh);
  // centre 0..31 at zero: q - 16
  return {vsubq_s8(u.lo, vdupq_n_s8(16)), vsubq_s8(u.hi, vdupq_n_s8(16))};
}

inline Codes32 codes(const BlockQ5_1& b) { return codes_q5(b.qs, b.qh); }

inline Codes32 codes(const BlockQ8_0& b) { return {vld1q_s8(b.qs), vld1q_s8(b.qs + 16)}; }

// --- the row loop, shared by the five formats -----------------------------

// out[t] = weight row . activation row t for kTokens activation rows: each
// weight block is unpacked once and dotted with every token's block. Per
// token, sum_b (dw * dx) * isum_b (+ mw * sx for Q8_1, in a separate sum);
// even and odd blocks feed two accumulators. The float operations of a token
// do not depend on kTokens, so matmul and matvec agree bit for bit.
template <class WBlock, class XBlock, int kTokens>
void dot_rows(const WBlock* __restrict wb, const XBlock* const* xs, int64_t nb, float* out) {
  constexpr bool kMin = std::is_same_v<XBlock, BlockQ8_1>;
  float32x4_t acc0[kTokens];
  float32x4_t acc1[kTokens];
  float min_sum[kTokens];
  for (int t = 0; t < kTokens; ++t) {
    acc0[t] = vdupq_n_f32(0.0f);
    acc1[t] = vdupq_n_f32(0.0f);
    min_sum[t] = 0.0f;
  }
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const Codes32 c0 = codes(wb[b]);
    const Codes32 c1 = codes(wb[b + 1]);
    const float d0 = half_to_float(wb[b].d);
    const float d1 = half_to_float(wb[b + 1].d);
    for (int t = 0; t < kTokens; ++t) {
      const XBlock& x0 = xs[t][b];
      const XBlock& x1 = xs[t][b + 1];
      // acc += float(isum lanes) * (dw * dx)
      acc0[t] = vfmaq_n_f32(acc0[t], vcvtq_f32_s32(dot32(c0, x0.qs)), d0 * half_to_float(x0.d));
      acc1[t] = vfmaq_n_f32(acc1[t], vcvtq_f32_s32(dot32(c1, x1.qs)), d1 * half_to_float(x1.d));
      if constexpr (kMin) {
        min_sum[t] +=
            half_to_float(wb[b].m) * half_to_float(x0.s) + half_to_float(wb[b + 1].m) * half_to_float(x1.s);
      }
    }
  }
  if (b < nb) { // an odd block count: the same block step once more
    const Codes32 c0 = codes(wb[b]);
    const float d0 = half_to_float(wb[b].d);
    for (int t = 0; t < kTokens; ++t) {
      const XBlock& x0 = xs[t][b];
      acc0[t] = vfmaq_n_f32(acc0[t], vcvtq_f32_s32(dot32(c0, x0.qs)), d0 * half_to_float(x0.d));
      if constexpr (kMin) min_sum[t] += half_to_float(wb[b].m) * half_to_float(x0.s);
    }
  }
  for (int t = 0; t < kTokens; ++t) out[t] = vaddvq_f32(vaddq_f32(acc0[t], acc1[t])) + min_sum[t];
}

template <class WBlock, class XBlock>
float vec_dot_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* xb = static_cast<const XBlock*>(x);
  float out;
  dot_rows<WBlock, XBlock, 1>(static_cast<const WBlock*>(w), &xb, n / kQK, &out);
  return out;
}

template <class WBlock, class XBlock>
void vec_dot_4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  const XBlock* xb[4];
  for (int t = 0; t < 4; ++t) xb[t] = static_cast<const XBlock*>(x[t]);
  dot_rows<WBlock, XBlock, 4>(static_cast<const WBlock*>(w), xb, n / kQK, out);
}

// --- float weights ----------------------------------------------------------

// Widening loads of 4 weights to float.
inline float32x4_t load4(const float* w) { return vld1q_f32(w); }
inline float32x4_t load4(const f16_bits* w) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w))); }

// bf16 is the top half of a float: widen each u16 to u32 and shift it up by 16.
struct Bf16 {
  bf16_bits bits;
};
inline float32x4_t load4(const Bf16* w) {
  return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(&w->bits), 16)); // lane i = w[i] << 16
}

// Sum over i < n16 of w[i] * x[i], n16 a multiple of 16.
template <class W>
float dot_float_body(const W* __restrict w, const float* __restrict x, int64_t n16) {
  float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  for (int64_t i = 0; i < n16; i += 16) {
    for (int j = 0; j < 4; ++j) acc[j] = vfmaq_f32(acc[j], load4(w + i + 4 * j), vld1q_f32(x + i + 4 * j));
  }
  return vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
}

} // namespace

float vec_dot_f32_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* a = static_cast<const float*>(w);
  const auto* b = static_cast<const float*>(x);
  const int64_t n16 = n & ~int64_t{15};
  return dot_float_body(a, b, n16) + scalar::vec_dot_f32_f32(a + n16, b + n16, n - n16);
}

float vec_dot_f16_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* a = static_cast<const f16_bits*>(w);
  const auto* b = static_cast<const float*>(x);
  const int64_t n16 = n & ~int64_t{15};
  return dot_float_body(a, b, n16) + scalar::vec_dot_f16_f32(a + n16, b + n16, n - n16);
}

float vec_dot_bf16_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  static_assert(sizeof(Bf16) == sizeof(bf16_bits));
  const auto* a = static_cast<const Bf16*>(w);
  const auto* b = static_cast<const float*>(x);
  const int64_t n16 = n & ~int64_t{15};
  return dot_float_body(a, b, n16) + scalar::vec_dot_bf16_f32(a + n16, b + n16, n - n16);
}

float vec_dot_q4_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ4_0, BlockQ8_0>(w, x, n);
}
float vec_dot_q4_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ4_1, BlockQ8_1>(w, x, n);
}
float vec_dot_q5_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ5_0, BlockQ8_0>(w, x, n);
}
float vec_dot_q5_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ5_1, BlockQ8_1>(w, x, n);
}
float vec_dot_q8_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_1<BlockQ8_0, BlockQ8_0>(w, x, n);
}

void vec_dot_q4_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ4_0, BlockQ8_0>(w, x, n, out);
}
void vec_dot_q4_1_q8_1_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ4_1, BlockQ8_1>(w, x, n, out);
}
void vec_dot_q5_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ5_0, BlockQ8_0>(w, x, n, out);
}
void vec_dot_q5_1_q8_1_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ5_1, BlockQ8_1>(w, x, n, out);
}
void vec_dot_q8_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out) {
  vec_dot_4<BlockQ8_0, BlockQ8_0>(w, x, n, out);
}

} // namespace lathe::kernels::neon
