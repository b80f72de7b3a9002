// Matrix products for prefill: Y = X W^T for a chunk of tokens, over a row range.
//
// Data layout: W as in matvec.cpp; X is n_tokens activation rows, each in the
// weight type's activation format; Y is (n_tokens, y_stride) floats. Each
// weight block is unpacked once per chunk and dotted with every token
// (row_loops.h), so the weights stream from memory once per chunk instead of
// once per token. Every entry is the same sum, in the same order, as matvec's,
// so a token's results do not depend on the chunk it was computed in: prefill
// and decode agree bit for bit.

#include "kernels/scalar/formats.h"
#include "kernels/scalar/row_loops.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

void matmul_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  float_matmul<vec_dot_f32_f32, 4>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  float_matmul<vec_dot_f16_f32, 2>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  float_matmul<vec_dot_bf16_f32, 2>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q4_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q4_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q5_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q5_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q2_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q2_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q3_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q3_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q4_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q5_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}
void matmul_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  format_matmul<formats::Q6_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end);
}

} // namespace lathe::kernels::scalar
