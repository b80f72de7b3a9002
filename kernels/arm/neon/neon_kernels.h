// The arm64 NEON kernels (ARMv8.2-A with the dot-product extension, as on
// every Apple M-series chip): the same names and signatures as the scalar
// reference (kernels/scalar/scalar_kernels.h), in their own namespace.
// Compiled only when LATHE_ISA=neon, with -march=armv8.2-a+dotprod+fp16 (+i8mm
// with LATHE_NEON_I8MM=ON).
//
// The table (kernel_table_neon.cpp) starts from the scalar table and replaces
// the entries declared here; formats without a NEON kernel (Q2_K, Q3_K) keep
// the scalar ones.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace lathe::kernels::neon {

// --- quantize.cpp: activations into 8-bit blocks; codes and scales identical to scalar ---
void quantize_row_q8_0(const float* __restrict x, void* __restrict y, int64_t n);
void quantize_row_q8_1(const float* __restrict x, void* __restrict y, int64_t n);
void quantize_row_q8_k(const float* __restrict x, void* __restrict y, int64_t n);

// --- vec_dot.cpp: one weight row against one activation row, n elements ---
float vec_dot_f32_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_f16_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_bf16_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q4_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q4_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q8_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);

// --- vec_dot_k.cpp: the 256-element K formats ---
float vec_dot_q4_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q6_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);

// One weight row against four activation rows x[0..4): out[t] = row . x[t],
// each weight block unpacked once for the four. Per token, the same float
// operations as the one-row function above, so the results are identical.
void vec_dot_q4_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q4_1_q8_1_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q5_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q5_1_q8_1_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q8_0_q8_0_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q4_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q5_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);
void vec_dot_q6_k_q8_k_1x4(const void* __restrict w, const void* const* x, int64_t n, float* out);

// --- matvec.cpp: MatvecFn and MatmulFn for each format above ---
void matvec_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end);
void matvec_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t row_begin, int64_t row_end);
void matvec_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t row_begin, int64_t row_end);
void matvec_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);

void matmul_f32_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_f16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_bf16_f32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                     int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);

// --- gemm.cpp: GemmFn (the prefill GEMM, sdot register tile) for the formats of the default models ---
// Results equal matmul's within float rounding (the same integer sums per
// sub-block, float terms in another order). scratch: gemm_scratch_bytes(n,
// n_tokens) bytes, which also serves the i8mm functions below.
int64_t gemm_scratch_bytes(int64_t n, int64_t n_tokens);
void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);

// --- elementwise.cpp ---
void rmsnorm(const float* x, const float* __restrict w, float* y, int64_t n, float eps);
void silu_mul(const float* gate, const float* up, float* y, int64_t n);
void add(float* __restrict x, const float* __restrict y, int64_t n);
void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p);

// --- attention.cpp: AttentionFn, one per KV cache type ---
void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end);
void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end);
void attention_q8_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                    int64_t head_end);
void attention_q4_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                    int64_t head_end);

// --- gemm_i8mm.cpp: the same GemmFn with an smmla register tile, same results ---
// Compiled only with LATHE_NEON_I8MM=ON (-march=...+i8mm: Apple M2 and later,
// not M1); the table uses these instead of the sdot ones then.
namespace i8mm {
void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
} // namespace i8mm

} // namespace lathe::kernels::neon
