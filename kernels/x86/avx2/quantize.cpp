// Activation quantizers, AVX2: the float row into Q8_0 / Q8_1 / Q8_K blocks,
// bit for bit as the scalar reference (kernels/scalar/quantize.cpp).
//
// The same float operations happen in the same order per element (a max of
// absolute values, one multiply, a conversion that rounds to nearest even
// under the default MXCSR), the block scales go through the same f32 -> f16
// routine, and integer sums are exact, so the blocks are identical.

#include "kernels/x86/intrinsics.h"

#include <cassert>
#include <cstdint>

#include "kernels/dequantize.h"
#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"

namespace lathe::kernels::avx2 {
namespace {

struct Q8Block {
  float d;
  int sum;
};

// One 32-element block: writes the codes, returns d and the sum of the codes.
inline Q8Block quantize_block_32(const float* x, int8_t* qs) {
  __m256 v[4];
  __m256 vmax = _mm256_setzero_ps();
  for (int j = 0; j < 4; ++j) {
    v[j] = _mm256_loadu_ps(x + 8 * j);
    vmax = _mm256_max_ps(vmax, abs_ps(v[j]));
  }
  const float amax = hmax(vmax);
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  const __m256 vid = _mm256_set1_ps(id);
  __m256i sum = _mm256_setzero_si256();
  for (int j = 0; j < 4; ++j) {
    const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], vid)); // round to nearest even
    sum = _mm256_add_epi32(sum, q);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(qs + 8 * j), pack_i32_to_i8(q)); // |q| <= 127
  }
  return {d, hsum_i32(sum)};
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
  auto* blocks = static_cast<BlockQ8_K*>(y);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ8_K& out = blocks[b];
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < kQKK; j += 8) vmax = _mm256_max_ps(vmax, abs_ps(_mm256_loadu_ps(x + j)));
    const float amax = hmax(vmax);
    if (amax == 0.0f) {
      out.d = 0.0f;
      for (int j = 0; j < kQKK; ++j) out.qs[j] = 0;
      for (int g = 0; g < kQKK / 16; ++g) out.bsums[g] = 0;
      continue;
    }
    // The signed value of largest magnitude: the first one in order, as the
    // scalar scan keeps it on ties.
    float max = 0.0f;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int j = 0; j < kQKK; j += 8) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), vamax, _CMP_EQ_OQ));
      if (hit != 0) {
        max = x[j + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vscale = _mm256_set1_ps(iscale);
    const __m256i limit = _mm256_set1_epi32(127);
    for (int g = 0; g < kQKK / 16; ++g) {
      // only +127.x can round past the range
      const __m256i q0 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16 * g), vscale)), limit);
      const __m256i q1 =
          _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16 * g + 8), vscale)), limit);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out.qs + 16 * g), pack_i32_to_i8(q0));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out.qs + 16 * g + 8), pack_i32_to_i8(q1));
      out.bsums[g] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q0, q1)));
    }
    out.d = 1.0f / iscale;
  }
}

} // namespace lathe::kernels::avx2
