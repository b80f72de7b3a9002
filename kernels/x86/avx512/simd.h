// Small AVX-512 helpers shared by the kernels of this folder. Internal: include
// only from sources compiled with the avx512 flags (LATHE_ISA_FLAGS).
#pragma once

#include "kernels/x86/intrinsics.h"

#include <cstdint>
#include <cstring>

#include "kernels/quant_types.h"

namespace lathe::kernels::avx512 {

// Unaligned little-endian loads from a byte pointer, without type punning.
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One IEEE half to float (F16C; exact for every finite half).
inline float f16_to_f32(f16_bits h) { return _cvtsh_ss(h); }

// Sum of the 16 lanes.
inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));        // s[0:2] += s[2:4]
  s = _mm_add_ss(s, _mm_movehdup_ps(s));         // s[0] += s[1]
  return _mm_cvtss_f32(s);
}

// e^x per lane, within 2 ulp of the correctly rounded result for normal
// results; +inf above ~88.72, 0 (through denormals) below ~-103.9; NaN stays NaN.
// x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so that n ln2 is exact
// to float precision), e^r from a degree-7 polynomial (Cephes' expf
// coefficients), then scaled by 2^n with vscalefps, which also rounds
// denormal results and saturates to inf.
inline __m512 exp(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693359375f);
  const __m512 ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
  // Beyond +-126 ln2 * 1.25 the result is 0 or inf anyway; clamping keeps n finite.
  const __m512 xc = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(110.0f)), _mm512_set1_ps(-110.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, ln2_hi, xc);
  r = _mm512_fnmadd_ps(n, ln2_lo, r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f))); // 1 + r + r^2 p(r)
  const __m512 result = _mm512_scalef_ps(p, n);
  // NaN in, NaN out (the clamp above would have turned it into a number).
  return _mm512_mask_mov_ps(result, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

} // namespace lathe::kernels::avx512
