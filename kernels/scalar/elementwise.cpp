// Element-wise kernels: RMS norm, SwiGLU, residual add, rotary embedding.
//
// Each follows ggml's arithmetic step by step (RMS norm sums squares in
// double; the rope angle of pair i is pos * theta_scale^i built by repeated
// float multiplication), so that the reference decoder tracks llama.cpp
// closely and SIMD variants have an exact target.

#include <cmath>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

void rmsnorm(const float* x, const float* __restrict w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void silu_mul(const float* gate, const float* up, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    y[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void add(float* __restrict x, const float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p) {
  const int64_t n_pairs = p.rope_dim / 2;
  // Interleaved: pair i is (2i, 2i + 1). NeoX: pair i is (i, i + rope_dim / 2).
  const int64_t first_stride = p.layout == RopeLayout::kNeox ? 1 : 2;
  const int64_t partner = p.layout == RopeLayout::kNeox ? n_pairs : 1;
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_pairs; ++i) {
    const float factor = p.freq_factors ? p.freq_factors[i] : 1.0f;
    const float angle = p.freq_scale * (theta / factor);
    const float c = std::cos(angle);
    const float s = std::sin(angle);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* a = x + h * p.head_dim + i * first_stride;
      float* b = a + partner;
      const float x0 = *a;
      const float x1 = *b;
      *a = x0 * c - x1 * s;
      *b = x0 * s + x1 * c;
    }
    theta *= p.theta_scale;
  }
}

} // namespace lathe::kernels::scalar
