// Row dot products: one weight row (n elements in its GGUF format) against one
// activation row (n elements in the format the weight type dots with). The
// quantized ones are the block steps of formats.h summed in block order; the
// float ones sum products in float, in order.

#include <cassert>
#include <cstdint>

#include "kernels/dequantize.h"
#include "kernels/scalar/formats.h"
#include "kernels/scalar/row_loops.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

float vec_dot_f32_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* a = static_cast<const float*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float vec_dot_f16_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* a = static_cast<const f16_bits*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += formats::half(a[i]) * b[i];
  return sum;
}

float vec_dot_bf16_f32(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* a = static_cast<const bf16_bits*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += bf16_to_f32(a[i]) * b[i];
  return sum;
}

float vec_dot_q4_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQK == 0);
  return format_vec_dot<formats::Q4_0>(w, x, n);
}
float vec_dot_q4_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQK == 0);
  return format_vec_dot<formats::Q4_1>(w, x, n);
}
float vec_dot_q5_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQK == 0);
  return format_vec_dot<formats::Q5_0>(w, x, n);
}
float vec_dot_q5_1_q8_1(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQK == 0);
  return format_vec_dot<formats::Q5_1>(w, x, n);
}
float vec_dot_q8_0_q8_0(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQK == 0);
  return format_vec_dot<formats::Q8_0>(w, x, n);
}
float vec_dot_q2_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQKK == 0);
  return format_vec_dot<formats::Q2_K>(w, x, n);
}
float vec_dot_q3_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQKK == 0);
  return format_vec_dot<formats::Q3_K>(w, x, n);
}
float vec_dot_q4_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQKK == 0);
  return format_vec_dot<formats::Q4_K>(w, x, n);
}
float vec_dot_q5_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQKK == 0);
  return format_vec_dot<formats::Q5_K>(w, x, n);
}
float vec_dot_q6_k_q8_k(const void* __restrict w, const void* __restrict x, int64_t n) {
  assert(n % kQKK == 0);
  return format_vec_dot<formats::Q6_K>(w, x, n);
}

} // namespace lathe::kernels::scalar
