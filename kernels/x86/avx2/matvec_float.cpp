// Matrix-vector products for float weights (F32, F16) against an f32 vector,
// AVX2. Small tensors only in the default models, so plain row loops.
//
// Accumulation: per row, four 8-lane accumulators over 32 elements at a
// time, then one over 8; the last n % 8 elements go through the scalar
// vec_dot. F16 weights are widened with vcvtph2ps (exact).

#include "kernels/x86/intrinsics.h"

#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx2 {
namespace {

inline __m256 load_w(const float* w) { return _mm256_loadu_ps(w); }
inline __m256 load_w(const f16_bits* w) { return _mm256_cvtph_ps(load128(w)); }

template <class W, float (*ScalarDot)(const void* __restrict, const void* __restrict, int64_t)>
float dot_row(const W* __restrict w, const float* __restrict x, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps();
  __m256 acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(load_w(w + i), _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(load_w(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load_w(w + i + 16), _mm256_loadu_ps(x + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load_w(w + i + 24), _mm256_loadu_ps(x + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load_w(w + i), _mm256_loadu_ps(x + i), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
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

} // namespace lathe::kernels::avx2
