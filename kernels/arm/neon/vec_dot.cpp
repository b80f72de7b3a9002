// Row dot products for the float weights and the 32-element block formats.
//
// Quantized formats: each weight block is unpacked in registers to 32 int8
// codes (two 16-byte vectors), multiplied with the Q8 activation codes by two
// sdot instructions (four int32 lanes, exact), and the block's int32 lanes,
// converted to float, are added to a float accumulator with the block's scale
// dw * dx. Two blocks per iteration feed two independent accumulators; the
// four lanes of both are summed once at the end of the row. The formats with
// a minimum (Q4_1, Q5_1) add mw * sx per block, in a separate float sum.
// The integer arithmetic is the scalar reference's; only the order of the
// float additions differs.
//
// Float weights: four float32x4 accumulators (16 elements per iteration) with
// fused multiply-add; F16 weights are widened with fcvtl, BF16 by a shift.
// The elements past the last multiple of 16 go to the scalar vec_dot.

#include <arm_neon.h>

#include <cstdint>

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

// Formats without a minimum: sum_b (dw * dx) * isum_b.
template <class WBlock>
float vec_dot_symmetric(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* wb = static_cast<const WBlock*>(w);
  const auto* xb = static_cast<const BlockQ8_0*>(x);
  const int64_t nb = n / kQK;
  float32x4_t acc0 = vdupq_n_f32(0.0f);
  float32x4_t acc1 = vdupq_n_f32(0.0f);
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const int32x4_t i0 = dot32(codes(wb[b]), xb[b].qs);
    const int32x4_t i1 = dot32(codes(wb[b + 1]), xb[b + 1].qs);
    // acc += float(isum lanes) * (dw * dx)
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(i0), half_to_float(wb[b].d) * half_to_float(xb[b].d));
    acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(i1), half_to_float(wb[b + 1].d) * half_to_float(xb[b + 1].d));
  }
  if (b < nb) { // an odd block count: the same block step once more
    const int32x4_t i0 = dot32(codes(wb[b]), xb[b].qs);
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(i0), half_to_float(wb[b].d) * half_to_float(xb[b].d));
  }
  return vaddvq_f32(vaddq_f32(acc0, acc1));
}

// Formats with a minimum: sum_b (dw * dx) * isum_b + mw * sx.
template <class WBlock>
float vec_dot_with_min(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* wb = static_cast<const WBlock*>(w);
  const auto* xb = static_cast<const BlockQ8_1*>(x);
  const int64_t nb = n / kQK;
  float32x4_t acc0 = vdupq_n_f32(0.0f);
  float32x4_t acc1 = vdupq_n_f32(0.0f);
  float min_sum = 0.0f;
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const int32x4_t i0 = dot32(codes(wb[b]), xb[b].qs);
    const int32x4_t i1 = dot32(codes(wb[b + 1]), xb[b + 1].qs);
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(i0), half_to_float(wb[b].d) * half_to_float(xb[b].d));
    acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(i1), half_to_float(wb[b + 1].d) * half_to_float(xb[b + 1].d));
    min_sum += half_to_float(wb[b].m) * half_to_float(xb[b].s) +
               half_to_float(wb[b + 1].m) * half_to_float(xb[b + 1].s);
  }
  if (b < nb) {
    const int32x4_t i0 = dot32(codes(wb[b]), xb[b].qs);
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(i0), half_to_float(wb[b].d) * half_to_float(xb[b].d));
    min_sum += half_to_float(wb[b].m) * half_to_float(xb[b].s);
  }
  return vaddvq_f32(vaddq_f32(acc0, acc1)) + min_sum;
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
  return vec_dot_symmetric<BlockQ4_0>(w, x, n);
}

float vec_dot_q4_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_with_min<BlockQ4_1>(w, x, n);
}

float vec_dot_q5_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_symmetric<BlockQ5_0>(w, x, n);
}

float vec_dot_q5_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_with_min<BlockQ5_1>(w, x, n);
}

float vec_dot_q8_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  return vec_dot_symmetric<BlockQ8_0>(w, x, n);
}

} // namespace lathe::kernels::neon
