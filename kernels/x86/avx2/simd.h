// Small AVX2 helpers shared by the kernels of this folder. Internal: include
// only from sources compiled with the avx2 flags (LATHE_ISA_FLAGS).
#pragma once

#include "kernels/x86/intrinsics.h"

#include <cstdint>
#include <cstring>

#include "kernels/quant_types.h"

namespace lathe::kernels::avx2 {

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// One IEEE half to float (F16C; exact for every finite half).
inline float f16_to_f32(f16_bits h) { return _cvtsh_ss(h); }

// Sum of the 8 float lanes.
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s)); // s[0:2] += s[2:4]
  s = _mm_add_ss(s, _mm_movehdup_ps(s));  // s[0] += s[1]
  return _mm_cvtss_f32(s);
}

// Sum and maximum of the 8 int32 / float lanes.
inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s)); // s[0:2] += s[2:4]
  s = _mm_add_epi32(s, _mm_srli_epi64(s, 32));    // s[0] += s[1]
  return _mm_cvtsi128_si32(s);
}
inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// Eight int32 lanes (each in [-128, 127]) to eight int8 codes, in order.
inline __m128i pack_i32_to_i8(__m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)); // 8 x int16
  return _mm_packs_epi16(w, w);                                                               // low 8 bytes
}

// e^x per lane, within 2 ulp of the correctly rounded result for normal
// results; +inf above ~88.72, 0 (through denormals) below ~-103.9; NaN stays
// NaN. x = n ln2 + r, |r| <= ln2 / 2, e^r from Cephes' expf polynomial; 2^n
// is applied as two exact powers of two, 2^(n/2) and 2^(n - n/2), so that
// results in the denormal range round once, as a single scaling would.
inline __m256 exp(__m256 x) {
  const __m256 xc = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(110.0f)), _mm256_set1_ps(-110.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f))); // 1 + r + r^2 p(r)
  // n in [-159, 159]: both halves in [-80, 80], each an exact normal power of two.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  const __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_blendv_ps(result, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); // NaN in, NaN out
}

} // namespace lathe::kernels::avx2
