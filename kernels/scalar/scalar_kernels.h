// The scalar reference kernels: plain C++ loops, no intrinsics. Every other
// ISA's kernels have the same names and signatures in their own namespace and
// are tested against these. Signatures are those of kernels/kernel_table.h.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace lathe::kernels::scalar {

// --- quantize.cpp: activations into 8-bit blocks ---
void quantize_row_q8_0(const float* __restrict x, void* __restrict y, int64_t n);
void quantize_row_q8_1(const float* __restrict x, void* __restrict y, int64_t n);
void quantize_row_q8_k(const float* __restrict x, void* __restrict y, int64_t n);

// --- vec_dot.cpp: one weight row against one activation row, n elements ---
// The per-row dot products that matvec and matmul are built from; SIMD loop
// tails call these rather than keeping their own copy.
float vec_dot_f32_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_f16_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_bf16_f32(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q4_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q4_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q8_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q2_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q3_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q4_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q5_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);
float vec_dot_q6_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n);

// --- matvec.cpp: MatvecFn, one per weight type ---
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
void matvec_q2_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q3_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);
void matvec_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end);

// --- matmul.cpp: MatmulFn, one per weight type ---
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
void matmul_q2_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q3_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);
void matmul_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);

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

// --- kv_store.cpp: KvStoreRowFn, a float row into a KV cache row (q8_0 is quantize_row_q8_0) ---
void store_row_f32(const float* __restrict x, void* __restrict y, int64_t n);
void store_row_f16(const float* __restrict x, void* __restrict y, int64_t n);
void quantize_row_q4_0(const float* __restrict x, void* __restrict y, int64_t n);

} // namespace lathe::kernels::scalar
