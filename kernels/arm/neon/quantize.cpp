// Activation quantizers: a float row into Q8_0 / Q8_1 / Q8_K blocks
// (layouts in kernels/quant_types.h, rules in kernels/scalar/quantize.cpp).
//
// The arithmetic is the scalar reference's, operation for operation, so the
// codes, scales and sums are identical bit for bit: the same amax, the same
// multiplier (127 / amax, or -127 / max for Q8_K), one float multiply per
// element, and rounding to nearest with ties to even (fcvtns). The f16
// scales are converted by the hardware, which rounds as the software does.
// Only the search for amax and the code sums run on vectors.

#include <arm_neon.h>

#include <cstdint>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/arm/neon/neon_kernels.h"

namespace lathe::kernels::neon {
namespace {

// Max |x[j]| over n elements, n a multiple of 8. fmaxnm, like std::fmax,
// ignores a NaN operand, so the result is 0 or the magnitude of an element.
inline float abs_max(const float* x, int n) {
  float32x4_t m0 = vdupq_n_f32(0.0f);
  float32x4_t m1 = vdupq_n_f32(0.0f);
  for (int j = 0; j < n; j += 8) {
    m0 = vmaxnmq_f32(m0, vabsq_f32(vld1q_f32(x + j)));
    m1 = vmaxnmq_f32(m1, vabsq_f32(vld1q_f32(x + j + 4)));
  }
  return vmaxnmvq_f32(vmaxnmq_f32(m0, m1));
}

// 16 codes round(x[j] * mul), ties to even, saturated to [-128, 127] (only
// Q8_K reaches the bound: its min(127, q) is this saturation).
inline int8x16_t round16(const float* x, float mul) {
  int32x4_t q[4];
  // fcvtns: float to int32, round to nearest, ties to even
  for (int j = 0; j < 4; ++j) q[j] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 4 * j), mul));
  // narrow int32 -> int16 -> int8 with saturation
  const int16x8_t h0 = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
  const int16x8_t h1 = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
  return vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
}

// One 32-element block: writes the codes, returns d = amax / 127 and sum(q).
struct Q8Block {
  float d;
  int sum;
};

inline Q8Block quantize_block_32(const float* x, int8_t* qs) {
  const float amax = abs_max(x, kQK);
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const int8x16_t q0 = round16(x, id);
  const int8x16_t q1 = round16(x + 16, id);
  vst1q_s8(qs, q0);
  vst1q_s8(qs + 16, q1);
  // saddlv: sum of 16 int8 lanes as int16 (|sum| <= 16 * 127)
  return {d, vaddlvq_s8(q0) + vaddlvq_s8(q1)};
}

} // namespace

void quantize_row_q8_0(const float* __restrict x, void* __restrict y, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = float_to_half(q.d);
  }
}

void quantize_row_q8_1(const float* __restrict x, void* __restrict y, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = float_to_half(q.d);
    blocks[b].s = float_to_half(q.d * static_cast<float>(q.sum));
  }
}

void quantize_row_q8_k(const float* __restrict x, void* __restrict y, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(y);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ8_K& out = blocks[b];
    const float amax = abs_max(x, kQKK);
    if (amax == 0.0f) {
      out.d = 0.0f;
      for (int j = 0; j < kQKK; j += 16) vst1q_s8(out.qs + j, vdupq_n_s8(0));
      for (int g = 0; g < kQKK / 16; g += 8) vst1q_s16(out.bsums + g, vdupq_n_s16(0));
      continue;
    }
    // max: the signed value of the first element with |x| == amax, as the
    // scalar scan finds it; look for the first group of four holding it.
    // (amax is the magnitude of some element, so the scans stop in the block.)
    int first = 0;
    // lanes where |x| == amax are all ones; umaxv is nonzero if any lane is
    while (first < kQKK - 4 &&
           vmaxvq_u32(vceqq_f32(vabsq_f32(vld1q_f32(x + first)), vdupq_n_f32(amax))) == 0) {
      first += 4;
    }
    while (first < kQKK - 1 && x[first] != amax && x[first] != -amax) ++first;
    const float iscale = -127.0f / x[first];
    for (int g = 0; g < kQKK / 16; ++g) {
      // q = min(127, round(iscale * x)) by the saturating narrow; q >= -127 always
      const int8x16_t q = round16(x + 16 * g, iscale);
      vst1q_s8(out.qs + 16 * g, q);
      out.bsums[g] = vaddlvq_s8(q); // sum of the group's 16 codes
    }
    out.d = 1.0f / iscale;
  }
}

} // namespace lathe::kernels::neon
