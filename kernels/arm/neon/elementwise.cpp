// Element-wise kernels: RMS norm, SwiGLU, residual add, rotary embedding.
//
// Layout: plain float rows; four lanes per vector, and the elements past the
// last multiple of the vector step go to the scalar kernel of the same name
// (or, inside RMS norm and rope, to the same one-line scalar step).
//   rmsnorm   squares in float, summed in double lanes (as the reference sums
//             in double), then y = (x * scale) * w, bit for bit the reference's
//             product order
//   silu_mul  g / (1 + e^-g) * up with the vector exp of neon_helpers.h
//             (~2 ulp, inf / 0 / NaN where std::exp gives them) and a true
//             division
//   rope      cos / sin per pair exactly as the reference computes them (the
//             same float recurrence for the angle), four pairs per vector
//             across each head: NeoX pairs are two contiguous runs, the
//             interleaved pairs are split into even / odd lanes by ld2 / st2

#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::neon {

void rmsnorm(const float* x, const float* __restrict w, float* y, int64_t n, float eps) {
  float64x2_t acc0 = vdupq_n_f64(0.0);
  float64x2_t acc1 = vdupq_n_f64(0.0);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    const float32x4_t sq = vmulq_f32(v, v);                 // the square rounded to float, as the reference
    acc0 = vaddq_f64(acc0, vcvt_f64_f32(vget_low_f32(sq))); // lanes 0, 1 widened
    acc1 = vaddq_f64(acc1, vcvt_high_f64_f32(sq));          // lanes 2, 3 widened
  }
  double sum = vaddvq_f64(vaddq_f64(acc0, acc1));
  for (; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);

  i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(y + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i))); // (x * scale) * w
  }
  for (; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void silu_mul(const float* gate, const float* up, float* y, int64_t n) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t g = vld1q_f32(gate + i);
    const float32x4_t u = vld1q_f32(up + i);
    // silu(g) = g / (1 + e^-g); both inputs are loaded before y is stored, so y may alias them
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(one, exp_f32(vnegq_f32(g))));
    vst1q_f32(y + i, vmulq_f32(silu, u));
  }
  scalar::silu_mul(gate + i, up + i, y + i, n - i);
}

void add(float* __restrict x, const float* __restrict y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    vst1q_f32(x + i, vaddq_f32(vld1q_f32(x + i), vld1q_f32(y + i)));
    vst1q_f32(x + i + 4, vaddq_f32(vld1q_f32(x + i + 4), vld1q_f32(y + i + 4)));
  }
  scalar::add(x + i, y + i, n - i);
}

namespace {

// (a, b) <- (a c - b s, a s + b c), one pair.
inline void rotate_pair(float* a, float* b, float c, float s) {
  const float x0 = *a;
  const float x1 = *b;
  *a = x0 * c - x1 * s;
  *b = x0 * s + x1 * c;
}

// Four pairs at once: lane j of (a, b) is pair j.
inline void rotate4(float32x4_t& a, float32x4_t& b, float32x4_t c, float32x4_t s) {
  const float32x4_t x0 = a;
  a = vmlsq_f32(vmulq_f32(x0, c), b, s); // x0 c - x1 s
  b = vmlaq_f32(vmulq_f32(x0, s), b, c); // x0 s + x1 c
}

} // namespace

void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p) {
  const int64_t n_pairs = p.rope_dim / 2;
  const bool neox = p.layout == RopeLayout::kNeox;
  float theta = static_cast<float>(pos);
  int64_t i = 0;
  for (; i + 4 <= n_pairs; i += 4) {
    float c[4];
    float s[4];
    for (int j = 0; j < 4; ++j) { // the reference's angle recurrence, pair by pair
      const float factor = p.freq_factors ? p.freq_factors[i + j] : 1.0f;
      const float angle = p.freq_scale * (theta / factor);
      c[j] = std::cos(angle);
      s[j] = std::sin(angle);
      theta *= p.theta_scale;
    }
    const float32x4_t cv = vld1q_f32(c);
    const float32x4_t sv = vld1q_f32(s);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* head = x + h * p.head_dim;
      if (neox) { // pair i + j is (i + j, i + j + n_pairs)
        float32x4_t a = vld1q_f32(head + i);
        float32x4_t b = vld1q_f32(head + i + n_pairs);
        rotate4(a, b, cv, sv);
        vst1q_f32(head + i, a);
        vst1q_f32(head + i + n_pairs, b);
      } else {
        // pair i + j is (2(i + j), 2(i + j) + 1)
        float32x4x2_t ab = vld2q_f32(head + 2 * i); // val[0] = even elements, val[1] = odd
        rotate4(ab.val[0], ab.val[1], cv, sv);
        vst2q_f32(head + 2 * i, ab);
      }
    }
  }
  for (; i < n_pairs; ++i) { // the last n_pairs % 4 pairs
    const float factor = p.freq_factors ? p.freq_factors[i] : 1.0f;
    const float angle = p.freq_scale * (theta / factor);
    const float c = std::cos(angle);
    const float s = std::sin(angle);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* a = x + h * p.head_dim + (neox ? i : 2 * i);
      rotate_pair(a, a + (neox ? n_pairs : 1), c, s);
    }
    theta *= p.theta_scale;
  }
}

} // namespace lathe::kernels::neon
