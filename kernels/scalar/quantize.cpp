// Activation quantizers: a float row into the 8-bit blocks that the weight
// formats dot with (structs in kernels/quant_types.h).
//
//   Q8_0  per 32 elements: d = amax / 127, q = round(x * 127 / amax), d stored as f16
//   Q8_1  as Q8_0, plus s = d * sum(q) stored as f16 (for the formats with a minimum)
//   Q8_K  per 256 elements: the element of largest magnitude maps to -127,
//         iscale = -127 / max, q = min(127, round(iscale * x)), d = 1 / iscale
//         as a float; bsums[g] = sum of q over elements [16g, 16g + 16)
//
// Rounding is to nearest, ties to even (the default floating-point mode, as
// the x86 and Arm SIMD paths of ggml do), and Q8_0 / Q8_1 multiply by
// 127 / amax rather than 1 / d, as those paths do, so that the codes match the
// reference runtime's bit for bit on the same input.

#include <cassert>
#include <cmath>
#include <cstdint>

#include "kernels/dequantize.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {
namespace {

// Round to nearest, ties to even, in the default rounding mode. NaN (what
// NaN or Inf activations become here, e.g. from a model with NaN weights)
// gives 0: converting it to int would be undefined behaviour.
int round_even(float v) { return std::isnan(v) ? 0 : static_cast<int>(std::nearbyint(v)); }

// One 32-element block: writes the codes, returns d and the code sum.
struct Q8Block {
  float d;
  int sum;
};

Q8Block quantize_block_32(const float* x, int8_t* qs) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    const int q = round_even(x[j] * id);
    qs[j] = static_cast<int8_t>(q);
    sum += q;
  }
  return {d, sum};
}

} // namespace

void quantize_row_q8_0(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQK == 0);
  auto* blocks = static_cast<BlockQ8_0*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = f32_to_f16(q.d);
  }
}

void quantize_row_q8_1(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQK == 0);
  auto* blocks = static_cast<BlockQ8_1*>(y);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Q8Block q = quantize_block_32(x + b * kQK, blocks[b].qs);
    blocks[b].d = f32_to_f16(q.d);
    blocks[b].s = f32_to_f16(q.d * static_cast<float>(q.sum));
  }
}

void quantize_row_q8_k(const float* __restrict x, void* __restrict y, int64_t n) {
  assert(n % kQKK == 0);
  auto* blocks = static_cast<BlockQ8_K*>(y);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ8_K& out = blocks[b];
    float amax = 0.0f;
    float max = 0.0f; // the signed value of largest magnitude (first one on ties)
    for (int j = 0; j < kQKK; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      out.d = 0.0f;
      for (int j = 0; j < kQKK; ++j) out.qs[j] = 0;
      for (int g = 0; g < kQKK / 16; ++g) out.bsums[g] = 0;
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQKK; ++j) {
      const int q = round_even(iscale * x[j]);
      out.qs[j] = static_cast<int8_t>(q < 127 ? q : 127);
    }
    for (int g = 0; g < kQKK / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += out.qs[16 * g + j];
      out.bsums[g] = static_cast<int16_t>(sum);
    }
    out.d = 1.0f / iscale;
  }
}

} // namespace lathe::kernels::scalar
