// Element-wise kernels, AVX2: RMS norm, SwiGLU, residual add, rotary
// embedding. Each does the scalar reference's float operations per element
// (kernels/scalar/elementwise.cpp), 8 lanes at a time; the tails of
// silu_mul and add go to the scalar kernel, the others run the same
// expressions one element at a time. Differences from the reference:
//   rmsnorm   the squares are summed in double in another order
//   silu_mul  e^-g from the vector exp of simd.h (within 2 ulp)
//   rope      none: cos and sin come from the same scalar calls, and the
//             rotation is the same products and sums (no contraction: this
//             file is compiled with -ffp-contract=off)

#include "kernels/x86/intrinsics.h"

#include <cmath>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"

namespace lathe::kernels::avx2 {

void rmsnorm(const float* x, const float* __restrict w, float* y, int64_t n, float eps) {
  __m256d sum0 = _mm256_setzero_pd();
  __m256d sum1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 sq = _mm256_mul_ps(v, v); // rounded to float, as the reference does before widening
    sum0 = _mm256_add_pd(sum0, _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
    sum1 = _mm256_add_pd(sum1, _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
  }
  const __m256d s = _mm256_add_pd(sum0, sum1);
  const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
  for (; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);

  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
  }
  for (; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void silu_mul(const float* gate, const float* up, float* y, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp(_mm256_sub_ps(_mm256_setzero_ps(), g)); // e^-g; +inf for g < -88.7, so g / inf = -0
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  if (i < n) scalar::silu_mul(gate + i, up + i, y + i, n - i);
}

void add(float* __restrict x, const float* __restrict y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) scalar::add(x + i, y + i, n - i);
}

namespace {

// Rotates pairs (a[j], b[j]) by the angle whose cosine and sine are c[j] and
// s[j], j in [0, count): a' = a c - b s, b' = a s + b c.
void rotate_neox(float* a, float* b, const float* c, const float* s, int64_t count) {
  int64_t j = 0;
  for (; j + 8 <= count; j += 8) {
    const __m256 x0 = _mm256_loadu_ps(a + j);
    const __m256 x1 = _mm256_loadu_ps(b + j);
    const __m256 vc = _mm256_loadu_ps(c + j);
    const __m256 vs = _mm256_loadu_ps(s + j);
    _mm256_storeu_ps(a + j, _mm256_sub_ps(_mm256_mul_ps(x0, vc), _mm256_mul_ps(x1, vs)));
    _mm256_storeu_ps(b + j, _mm256_add_ps(_mm256_mul_ps(x0, vs), _mm256_mul_ps(x1, vc)));
  }
  for (; j < count; ++j) {
    const float x0 = a[j];
    const float x1 = b[j];
    a[j] = x0 * c[j] - x1 * s[j];
    b[j] = x0 * s[j] + x1 * c[j];
  }
}

// Interleaved pairs (x[2j], x[2j + 1]), j in [0, count). With the cosines
// duplicated (c2[2j] = c2[2j + 1] = c_j) and the sines signed (s2[2j] = -s_j,
// s2[2j + 1] = s_j): x' = x c2 + swap(x) s2, where swap exchanges each pair,
// which is x0 c - x1 s and x1 c + x0 s with the reference's roundings.
void rotate_interleaved(float* x, const float* c2, const float* s2, int64_t count) {
  int64_t j = 0;
  for (; j + 4 <= count; j += 4) {
    const __m256 v = _mm256_loadu_ps(x + 2 * j);
    const __m256 swapped = _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)); // lanes (2k, 2k+1) -> (2k+1, 2k)
    _mm256_storeu_ps(x + 2 * j, _mm256_add_ps(_mm256_mul_ps(v, _mm256_loadu_ps(c2 + 2 * j)),
                                              _mm256_mul_ps(swapped, _mm256_loadu_ps(s2 + 2 * j))));
  }
  for (; j < count; ++j) {
    const float x0 = x[2 * j];
    const float x1 = x[2 * j + 1];
    const float c = c2[2 * j];
    const float s = s2[2 * j + 1];
    x[2 * j] = x0 * c - x1 * s;
    x[2 * j + 1] = x0 * s + x1 * c;
  }
}

} // namespace

void rope(float* x, int64_t n_heads, int64_t pos, const RopeParams& p) {
  const int64_t n_pairs = p.rope_dim / 2;
  constexpr int64_t kChunk = 32; // pairs whose angles are computed at a time
  alignas(64) float c[2 * kChunk];
  alignas(64) float s[2 * kChunk];
  float theta = static_cast<float>(pos);
  for (int64_t i0 = 0; i0 < n_pairs; i0 += kChunk) {
    const int64_t count = n_pairs - i0 < kChunk ? n_pairs - i0 : kChunk;
    // The angles exactly as the reference forms them (theta by repeated multiplication).
    for (int64_t j = 0; j < count; ++j) {
      const float factor = p.freq_factors ? p.freq_factors[i0 + j] : 1.0f;
      const float angle = p.freq_scale * (theta / factor);
      const float cj = std::cos(angle);
      const float sj = std::sin(angle);
      if (p.layout == RopeLayout::kNeox) {
        c[j] = cj;
        s[j] = sj;
      } else {
        c[2 * j] = cj;
        c[2 * j + 1] = cj;
        s[2 * j] = -sj;
        s[2 * j + 1] = sj;
      }
      theta *= p.theta_scale;
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* head = x + h * p.head_dim;
      if (p.layout == RopeLayout::kNeox) {
        rotate_neox(head + i0, head + i0 + n_pairs, c, s, count);
      } else {
        rotate_interleaved(head + 2 * i0, c, s, count);
      }
    }
  }
}

} // namespace lathe::kernels::avx2
