// Matrix-vector (decode) and matrix-matrix (prefill) products for the weight
// formats that have a NEON row dot product (vec_dot.cpp, vec_dot_k.cpp).
//
// Data layout as in kernels/scalar/matvec.cpp: W is `rows` rows of n elements
// in its GGUF block format, back to back; activations arrive already in the
// weight type's activation format. Each output is one row dot product, so any
// split of [row_begin, row_end) across threads gives identical results, and
// matmul gives each token exactly what matvec gives it. Matmul runs rows
// outside, tokens inside, so a weight row is read from memory once per call
// and from cache for every further token.

#include <cstdint>

#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::neon {
namespace {

using VecDotFn = float (*)(const void* __restrict w, const void* __restrict x, int64_t n);
using VecDot4Fn = void (*)(const void* __restrict w, const void* const* x, int64_t n, float* out);
using A = ActivationType;

// y[r] = Dot(row r, xq) for r in [row_begin, row_end); rows of n / kBlockElems blocks of kBlockBytes.
template <VecDotFn Dot, int64_t kBlockElems, int64_t kBlockBytes>
void matvec_rows(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                 int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const uint8_t*>(w);
  const int64_t stride = n / kBlockElems * kBlockBytes;
  for (int64_t r = row_begin; r < row_end; ++r) y[r] = Dot(rows + r * stride, xq, n);
}

// Y[t][r] = row r . X row t, Y[t][r] at y[t * y_stride + r]. Tokens go in
// fours through Dot4 (each weight block unpacked once for four tokens), the
// rest one by one through Dot; both give a token the same bits.
template <VecDotFn Dot, VecDot4Fn Dot4, int64_t kBlockElems, int64_t kBlockBytes, A kActivation>
void matmul_rows(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                 int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const uint8_t*>(w);
  const auto* xs = static_cast<const uint8_t*>(xq);
  const int64_t stride = n / kBlockElems * kBlockBytes;
  const int64_t x_stride = activation_row_bytes(kActivation, n);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = rows + r * stride;
    int64_t t = 0;
    if constexpr (Dot4 != nullptr) {
      for (; t + 4 <= n_tokens; t += 4) {
        const void* x4[4] = {xs + t * x_stride, xs + (t + 1) * x_stride, xs + (t + 2) * x_stride,
                             xs + (t + 3) * x_stride};
        float out[4];
        Dot4(row, x4, n, out);
        for (int j = 0; j < 4; ++j) y[(t + j) * y_stride + r] = out[j];
      }
    }
    for (; t < n_tokens; ++t) y[t * y_stride + r] = Dot(row, xs + t * x_stride, n);
  }
}

} // namespace

void matvec_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_f32_f32, 1, 4>(w, xq, y, n, row_begin, row_end);
}
void matvec_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_f16_f32, 1, 2>(w, xq, y, n, row_begin, row_end);
}
void matvec_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_bf16_f32, 1, 2>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q4_0_q8_0, kQK, sizeof(BlockQ4_0)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q4_1_q8_1, kQK, sizeof(BlockQ4_1)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q5_0_q8_0, kQK, sizeof(BlockQ5_0)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q5_1_q8_1, kQK, sizeof(BlockQ5_1)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q8_0_q8_0, kQK, sizeof(BlockQ8_0)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q4_k_q8_k, kQKK, sizeof(BlockQ4_K)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q5_k_q8_k, kQKK, sizeof(BlockQ5_K)>(w, xq, y, n, row_begin, row_end);
}
void matvec_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_rows<vec_dot_q6_k_q8_k, kQKK, sizeof(BlockQ6_K)>(w, xq, y, n, row_begin, row_end);
}

void matmul_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_f32_f32, nullptr, 1, 4, A::kF32>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_f16_f32, nullptr, 1, 2, A::kF32>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_bf16_f32, nullptr, 1, 2, A::kF32>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q4_0_q8_0, vec_dot_q4_0_q8_0_1x4, kQK, sizeof(BlockQ4_0), A::kQ8_0>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q4_1_q8_1, vec_dot_q4_1_q8_1_1x4, kQK, sizeof(BlockQ4_1), A::kQ8_1>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q5_0_q8_0, vec_dot_q5_0_q8_0_1x4, kQK, sizeof(BlockQ5_0), A::kQ8_0>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q5_1_q8_1, vec_dot_q5_1_q8_1_1x4, kQK, sizeof(BlockQ5_1), A::kQ8_1>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q8_0_q8_0, vec_dot_q8_0_q8_0_1x4, kQK, sizeof(BlockQ8_0), A::kQ8_0>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q4_k_q8_k, vec_dot_q4_k_q8_k_1x4, kQKK, sizeof(BlockQ4_K), A::kQ8_K>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q5_k_q8_k, vec_dot_q5_k_q8_k_1x4, kQKK, sizeof(BlockQ5_K), A::kQ8_K>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  matmul_rows<vec_dot_q6_k_q8_k, vec_dot_q6_k_q8_k_1x4, kQKK, sizeof(BlockQ6_K), A::kQ8_K>(
      w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}

} // namespace lathe::kernels::neon
