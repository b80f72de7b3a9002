// Matrix-vector products for float weights (F32, F16) against an f32 vector,
// AVX-512. Small tensors only in the default models, so plain row loops.
//
// Accumulation: per row, four 16-lane accumulators over 64 elements at a
// time, then one over 16; the last n % 16 elements go through the scalar
// vec_dot. F16 weights are widened with vcvtph2ps (exact).

#include "kernels/x86/intrinsics.h"

#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx512 {
namespace {

inline __m512 load_w(const float* w) { return _mm512_loadu_ps(w); }
inline __m512 load_w(const f16_bits* w) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
}

template <class W, float (*ScalarDot)(const void* __restrict, const void* __restrict, int64_t)>
float dot_row(const W* __restrict w, const float* __restrict x, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps();
  __m512 acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(load_w(w + i), _mm512_loadu_ps(x + i), acc0);
    acc1 = _mm512_fmadd_ps(load_w(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(load_w(w + i + 32), _mm512_loadu_ps(x + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(load_w(w + i + 48), _mm512_loadu_ps(x + i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(load_w(w + i), _mm512_loadu_ps(x + i), acc0);
  float sum = hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
  if (i < n) sum += ScalarDot(w + i, x + i, n - i);
  return sum;
}

template <class W, float (*ScalarDot)(const void* __restrict, const void* __restrict, int64_t)>
void matvec_float(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                  int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const W*>(w);
  const auto* x = static_cast<const float*>(xq);
  for (int64_t r = row_begin; r < row_end; ++r) y[r] = dot_row<W, ScalarDot>(rows + r * n, x, n);
}

} // namespace

void matvec_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  matvec_float<float, scalar::vec_dot_f32_f32>(w, xq, y, n, row_begin, row_end);
}
void matvec_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  matvec_float<f16_bits, scalar::vec_dot_f16_f32>(w, xq, y, n, row_begin, row_end);
}

void matmul_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_f32_f32, ActivationType::kF32>(w, xq, y, n, n_tokens, y_stride, row_begin,
                                                                  row_end, n * 4);
}
void matmul_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_f16_f32, ActivationType::kF32>(w, xq, y, n, n_tokens, y_stride, row_begin,
                                                                  row_end, n * 2);
}

} // namespace lathe::kernels::avx512
