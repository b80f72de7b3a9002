// Matrix-vector products for decoding one token: y = W x over a row range.
//
// Data layout: W is `rows` rows of n elements in its GGUF block format, back
// to back; x arrives already in the activation format of the weight type
// (kernels/kernel_table.h). Each output row is one row dot product (the
// block steps of formats.h summed in block order, row_loops.h), so the rows
// are independent and any split of [row_begin, row_end) across threads gives
// identical results.

#include "kernels/scalar/formats.h"
#include "kernels/scalar/row_loops.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

void matvec_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  float_matvec<vec_dot_f32_f32, 4>(w, xq, y, n, row_begin, row_end);
}
void matvec_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end) {
  float_matvec<vec_dot_f16_f32, 2>(w, xq, y, n, row_begin, row_end);
}
void matvec_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t row_begin, int64_t row_end) {
  float_matvec<vec_dot_bf16_f32, 2>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q4_0>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q4_1>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q5_0>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q5_1>(w, xq, y, n, row_begin, row_end);
}
void matvec_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q8_0>(w, xq, y, n, row_begin, row_end);
}
void matvec_q2_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q2_K>(w, xq, y, n, row_begin, row_end);
}
void matvec_q3_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q3_K>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q4_K>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q5_K>(w, xq, y, n, row_begin, row_end);
}
void matvec_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  format_matvec<formats::Q6_K>(w, xq, y, n, row_begin, row_end);
}

} // namespace lathe::kernels::scalar
