// Float rows into KV cache rows (kernels/kv_types.h): f32 copied, f16
// rounded to nearest even, q4_0 in GGUF's layout with its choice of scale
// (rounding to nearest even). q8_0 is the activation quantizer
// quantize_row_q8_0: the same block layout.
//
//   Q4_0  per 32 elements: the element of largest magnitude, m (with its
//         sign), maps to code 0: d = m / -8, code = clamp(round(x / d) + 8, 0, 15),
//         d stored as f16; value = (code - 8) * d.

#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/dequantize.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

void store_row_f32(const float* __restrict x, void* __restrict y, int64_t n) {
  std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

void store_row_f16(const float* __restrict x, void* __restrict y, int64_t n) {
  auto* h = static_cast<f16_bits*>(y);
  for (int64_t i = 0; i < n; ++i) h[i] = f32_to_f16(x[i]);
}

void quantize_row_q4_0(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQK == 0);
  auto* blocks = static_cast<BlockQ4_0*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* xb = x + b * kQK;
    float amax = 0.0f;
    float m = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        m = xb[j];
      }
    }
    const float d = m / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_f16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      // NaN (from NaN activations) gives code 8, the value 0
      const auto code = [&](float v) {
        const float c = std::nearbyint(v * id) + 8.0f;
        return std::isnan(c) ? 8 : static_cast<int>(std::fmin(15.0f, std::fmax(0.0f, c)));
      };
      blocks[b].qs[j] = static_cast<uint8_t>(code(xb[j]) | (code(xb[j + kQK / 2]) << 4));
    }
  }
}

} // namespace lathe::kernels::scalar
