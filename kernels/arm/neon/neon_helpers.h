// Small NEON building blocks shared by the files of kernels/arm/neon.
// Internal to this folder; every function is inline and lane-commented.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "kernels/quant_types.h"

namespace lathe::kernels::neon {

// IEEE half bits to float with the hardware converter (exact, like the
// software f16_to_f32 of kernels/half.cpp).
inline float half_to_float(f16_bits h) {
  // lane 0 of fcvtl(h, h, h, h)
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

// Float to IEEE half bits, round to nearest even (the FPCR default), as the
// software f32_to_f16 does.
inline f16_bits float_to_half(float f) {
  // lane 0 of fcvtn(f, f, f, f)
  return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

// 32 signed 8-bit codes of one block: lo holds elements 0..15, hi 16..31.
struct Codes32 {
  int8x16_t lo;
  int8x16_t hi;
};

// The 32 nibbles of 16 packed bytes, unsigned: element j in the low nibble of
// qs[j], element j + 16 in the high nibble (the Q4_0 / Q4_1 / Q5 layout).
inline Codes32 unpack_nibbles(const uint8_t* qs) {
  const uint8x16_t packed = vld1q_u8(qs);
  return {vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0F))), // lo[j] = qs[j] & 15
          vreinterpretq_s8_u8(vshrq_n_u8(packed, 4))};             // hi[j] = qs[j] >> 4
}

// 16 bits spread over 16 bytes: byte j = 0x10 if bit j of `bits` is set, else 0.
// Used for the fifth bit of the Q5 formats.
inline uint8x16_t bits_to_0x10(uint32_t bits) {
  static constexpr uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  // bytes[0:8] = bits & 0xFF, bytes[8:16] = (bits >> 8) & 0xFF
  const uint8x16_t bytes =
      vcombine_u8(vdup_n_u8(static_cast<uint8_t>(bits)), vdup_n_u8(static_cast<uint8_t>(bits >> 8)));
  // set[j] = 0xFF where bytes[j] & kBit[j], then keep 0x10 of it
  return vandq_u8(vtstq_u8(bytes, vld1q_u8(kBit)), vdupq_n_u8(0x10));
}

// Sum over 32 elements of q[j] * x[j], as four int32 partial sums (exact):
// lane i holds the products of elements 4i..4i+3 and 16+4i..16+4i+3.
inline int32x4_t dot32(Codes32 q, const int8_t* x) {
  // sdot: lane i += sum of the four byte products 4i..4i+3
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), q.lo, vld1q_s8(x)), q.hi, vld1q_s8(x + 16));
}

// e^x for every lane, within ~2 ulp over the whole float range, with
// std::exp's edges: +inf above ln(FLT_MAX) ~ 88.72, gradual underflow to
// subnormals and then 0 below -87.34, NaN for NaN.
// e^x = 2^k e^r with k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2],
// e^r by a degree-7 polynomial (Cephes' expf coefficients). 2^k is applied as
// 2^(k/2) * 2^(k - k/2), two normal powers of two, so that the only rounding
// is the final one when the result is subnormal, and the product overflows
// to inf exactly when e^x does. x is first clamped to [-104, 88.8], beyond
// which e^x rounds to 0 or inf anyway (NaN passes through the clamp).
inline float32x4_t exp_f32(float32x4_t x) {
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-104.0f)), vdupq_n_f32(88.8f));
  const float32x4_t k = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f)); // round(x / ln 2), in [-150, 128]
  // r = x - k * ln2, with ln 2 split in two so that k * ln2_hi is exact
  float32x4_t r = vfmsq_f32(x, k, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, k, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  const float32x4_t r2 = vmulq_f32(r, r);
  p = vaddq_f32(vfmaq_f32(r, p, r2), vdupq_n_f32(1.0f)); // e^r = 1 + r + r^2 p(r)
  // k = k1 + k2 with k1 = k >> 1 (floor), both in [-75, 64]; (k_i + 127) << 23
  // is the float bit pattern of 2^k_i
  const int32x4_t ki = vcvtq_s32_f32(k);
  const int32x4_t k1 = vshrq_n_s32(ki, 1);
  const int32x4_t k2 = vsubq_s32(ki, k1);
  const float32x4_t pow1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k1, vdupq_n_s32(127)), 23));
  const float32x4_t pow2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k2, vdupq_n_s32(127)), 23));
  return vmulq_f32(vmulq_f32(p, pow1), pow2);
}

} // namespace lathe::kernels::neon
