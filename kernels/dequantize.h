// Scalar dequantizers: one per element type, each turning a row of n elements
// (n a multiple of the type's block size) into n floats. They are the oracle
// that every SIMD kernel and every golden test is checked against.
#pragma once

#include <cstdint>

#include "quant_types.h"

namespace lathe::kernels {

float f16_to_f32(f16_bits h);
f16_bits f32_to_f16(float f); // round to nearest even
float bf16_to_f32(bf16_bits h);

namespace scalar {

void dequantize_row_f32(const void* src, float* dst, int64_t n);
void dequantize_row_f16(const void* src, float* dst, int64_t n);
void dequantize_row_bf16(const void* src, float* dst, int64_t n);
void dequantize_row_q4_0(const void* src, float* dst, int64_t n);
void dequantize_row_q4_1(const void* src, float* dst, int64_t n);
void dequantize_row_q5_0(const void* src, float* dst, int64_t n);
void dequantize_row_q5_1(const void* src, float* dst, int64_t n);
void dequantize_row_q8_0(const void* src, float* dst, int64_t n);
void dequantize_row_q2_k(const void* src, float* dst, int64_t n);
void dequantize_row_q3_k(const void* src, float* dst, int64_t n);
void dequantize_row_q4_k(const void* src, float* dst, int64_t n);
void dequantize_row_q5_k(const void* src, float* dst, int64_t n);
void dequantize_row_q6_k(const void* src, float* dst, int64_t n);
void dequantize_row_q8_k(const void* src, float* dst, int64_t n);

// Dispatch on the type. Returns false (and writes nothing) for a type without
// a dequantizer. PRECONDITION: src holds row_bytes(type, n) readable bytes.
bool dequantize_row(QuantType type, const void* src, float* dst, int64_t n);

} // namespace scalar
} // namespace lathe::kernels
