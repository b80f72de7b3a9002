// Activation quantizers, AVX-512: the float row into Q8_0 / Q8_1 / Q8_K
// blocks, bit for bit as the scalar reference (kernels/scalar/quantize.cpp).
//
// The same float operations happen in the same order per element (a max of
// absolute values, one multiply, a conversion that rounds to nearest even
// under the default MXCSR), the block scales go through the same f32 -> f16
// routine, and integer sums are exact, so the blocks are identical.

#include "kernels/x86/intrinsics.h"

#include <cassert>
#include <cstdint>

#include "kernels/dequantize.h"
#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"

namespace lathe::kernels::avx512 {
namespace {

inline __m512 abs_ps(__m512 v) { return _mm512_abs_ps(v); }

// v with NaN lanes (NaN or Inf activations times the inverse scale) set to 0,
// as the scalar reference rounds them: converted, NaN would become INT_MIN and
// overflow the code sum. Finite lanes are untouched.
inline __m512 nan_to_zero(__m512 v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v); }

// One 32-element block: writes the codes, returns d and the sum of the codes.
struct Q8Block {
  float d;
  int sum;
};

inline Q8Block quantize_block_32(const float* x, int8_t* qs) {
  const __m512 x0 = _mm512_loadu_ps(x);
  const __m512 x1 = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(abs_ps(x0), abs_ps(x1)));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const __m512 vid = _mm512_set1_ps(id);
  const __m512i q0 = _mm512_cvtps_epi32(nan_to_zero(_mm512_mul_ps(x0, vid))); // round to nearest even
  const __m512i q1 = _mm512_cvtps_epi32(nan_to_zero(_mm512_mul_ps(x1, vid)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), _mm512_cvtepi32_epi8(q0)); // |q| <= 127: no truncation
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16), _mm512_cvtepi32_epi8(q1));
  return {d, _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1))};
}

} // namespace

void quantize_row_q8_0(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQK == 0);
  auto* blocks = static_cast<BlockQ8_0*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = kernels::f32_to_f16(q.d);
  }
}

void quantize_row_q8_1(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQK == 0);
  auto* blocks = static_cast<BlockQ8_1*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = kernels::f32_to_f16(q.d);
    blocks[b].s = kernels::f32_to_f16(q.d * static_cast<float>(q.sum));
  }
}

void quantize_row_q8_k(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQKK == 0);
  constexpr int kGroups = kQKK / 16; // one zmm per group of 16, the unit of bsums
  auto* blocks = static_cast<BlockQ8_K*>(y);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ8_K& out = blocks[b];
    __m512 vmax = _mm512_setzero_ps();
    for (int g = 0; g < kGroups; ++g) vmax = _mm512_max_ps(vmax, abs_ps(_mm512_loadu_ps(x + 16 * g)));
    const float amax = _mm512_reduce_max_ps(vmax);
    if (amax == 0.0f) {
      out.d = 0.0f;
      for (int j = 0; j < kQKK; ++j) out.qs[j] = 0;
      for (int g = 0; g < kGroups; ++g) out.bsums[g] = 0;
      continue;
    }
    // The signed value of largest magnitude: the first one in order, as the
    // scalar scan keeps it on ties.
    float max = 0.0f;
    const __m512 vamax = _mm512_set1_ps(amax);
    for (int g = 0; g < kGroups; ++g) {
      const __mmask16 hit = _mm512_cmp_ps_mask(abs_ps(_mm512_loadu_ps(x + 16 * g)), vamax, _CMP_EQ_OQ);
      if (hit != 0) {
        max = x[16 * g + __builtin_ctz(hit)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m512 vscale = _mm512_set1_ps(iscale);
    const __m512i limit = _mm512_set1_epi32(127);
    for (int g = 0; g < kGroups; ++g) {
      // Finite activations give |x * iscale| <= 127.x; the clamp only bites on
      // the +-Inf products of non-finite ones (NaN weights), which converted
      // would overflow the code sums.
      const __m512 p = nan_to_zero(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * g), vscale));
      __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(p, _mm512_set1_ps(-128.0f)), _mm512_set1_ps(128.0f)));
      q = _mm512_min_epi32(q, limit); // only +127.x can round past the range
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out.qs + 16 * g), _mm512_cvtepi32_epi8(q));
      out.bsums[g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    out.d = 1.0f / iscale;
  }
}

} // namespace lathe::kernels::avx512
