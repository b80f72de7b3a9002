// Causal grouped-query attention over the f32 KV cache, AVX2.
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim), the caches (positions, n_kv_heads *
// head_dim); query head h reads KV head h / (n_heads / n_kv_heads), straight
// from the cache (no copies). Query t sees keys 0 .. pos0 + t.
//
// One pass over the keys, 8 at a time, with a running-max softmax per head:
//   scores  s_p = (q . k_p) * scale: per key an 8-lane partial product, the
//           8 keys' partials reduced together by horizontal adds
//   update  m' = max(m, max_p s_p); the running sum l and the output row
//           (accumulated in out itself) are rescaled by e^(m - m'), then
//           l += sum_p e^(s_p - m') and out += sum_p e^(s_p - m') v_p
//   finish  out /= l
// The query heads that share a KV head (a tile of up to kTileHeads of them)
// go through each block of 8 keys together, so every key and value row is
// read from memory once per tile, and from L1 by the other heads. Keys past
// the causal limit are never read. head_dim must be a multiple of 8; other
// shapes use the scalar kernel.

#include "kernels/x86/intrinsics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"

namespace lathe::kernels::avx2 {
namespace {

constexpr int kKeys = 8;      // keys per block: one score per lane
constexpr int kTileHeads = 8; // query heads sharing a KV head, per pass over the keys

// r[j] holds 8 partial products of key j; returns the vector whose lane j is
// the sum of r[j]'s lanes.
inline __m256 transpose_sum8(const __m256 r[8]) {
  // per 128-bit lane: [a0 + a1, a2 + a3, b0 + b1, b2 + b3] of a = r[2j], b = r[2j + 1]
  const __m256 u0 = _mm256_hadd_ps(r[0], r[1]);
  const __m256 u1 = _mm256_hadd_ps(r[2], r[3]);
  const __m256 u2 = _mm256_hadd_ps(r[4], r[5]);
  const __m256 u3 = _mm256_hadd_ps(r[6], r[7]);
  // per 128-bit lane: that lane's sums of keys 0..3 (v0) and 4..7 (v1)
  const __m256 v0 = _mm256_hadd_ps(u0, u1);
  const __m256 v1 = _mm256_hadd_ps(u2, u3);
  // add the two 128-bit lanes: [keys 0..3 | keys 4..7]
  return _mm256_add_ps(_mm256_permute2f128_ps(v0, v1, 0x20), _mm256_permute2f128_ps(v0, v1, 0x31));
}

// Scores of keys [p0, p0 + count) (count <= 8) for one query head, scaled;
// lanes past count are -inf.
inline __m256 block_scores(const float* __restrict qh, const float* __restrict k, int64_t kv_stride, int64_t p0,
                           int count, int64_t hd, float scale) {
  __m256 r[kKeys];
  for (int j = 0; j < kKeys; ++j) r[j] = _mm256_setzero_ps();
  for (int j = 0; j < count; ++j) {
    const float* kp = k + (p0 + j) * kv_stride;
    __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(qh), _mm256_loadu_ps(kp));
    for (int64_t i = 8; i < hd; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qh + i), _mm256_loadu_ps(kp + i), acc);
    r[j] = acc;
  }
  const __m256 s = _mm256_mul_ps(transpose_sum8(r), _mm256_set1_ps(scale));
  // lanes below count keep their score, the others are -inf
  const __m256 valid = _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), s, valid);
}

// One token, the heads [h0, h1) of one KV head (at most kTileHeads).
void attend_tile(const float* __restrict q, const float* __restrict k, const float* __restrict v,
                 float* __restrict out, int64_t n_keys, int64_t h0, int64_t h1, int64_t hd, int64_t kv_stride,
                 float scale) {
  float m[kTileHeads];
  float l[kTileHeads];
  for (int64_t h = h0; h < h1; ++h) {
    m[h - h0] = -INFINITY;
    l[h - h0] = 0.0f;
    std::fill(out + h * hd, out + (h + 1) * hd, 0.0f);
  }
  alignas(32) float weights[kKeys];
  for (int64_t p0 = 0; p0 < n_keys; p0 += kKeys) {
    const int count = static_cast<int>(std::min<int64_t>(kKeys, n_keys - p0));
    for (int64_t h = h0; h < h1; ++h) {
      const __m256 s = block_scores(q + h * hd, k, kv_stride, p0, count, hd, scale);
      const float m_old = m[h - h0];
      const float m_new = std::max(m_old, hmax(s));
      const float rescale = std::exp(m_old - m_new); // 0 on the first block (m_old = -inf)
      const __m256 e = exp(_mm256_sub_ps(s, _mm256_set1_ps(m_new))); // 0 in the lanes past count
      l[h - h0] = l[h - h0] * rescale + hsum(e);
      m[h - h0] = m_new;
      _mm256_store_ps(weights, e);

      float* oh = out + h * hd;
      const __m256 vr = _mm256_set1_ps(rescale);
      for (int64_t i = 0; i < hd; i += 8) {
        __m256 o = _mm256_mul_ps(_mm256_loadu_ps(oh + i), vr);
        for (int j = 0; j < count; ++j) {
          o = _mm256_fmadd_ps(_mm256_set1_ps(weights[j]), _mm256_loadu_ps(v + (p0 + j) * kv_stride + i), o);
        }
        _mm256_storeu_ps(oh + i, o);
      }
    }
  }
  for (int64_t h = h0; h < h1; ++h) {
    const __m256 inv = _mm256_set1_ps(1.0f / l[h - h0]);
    float* oh = out + h * hd;
    for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(oh + i, _mm256_mul_ps(_mm256_loadu_ps(oh + i), inv));
  }
}

} // namespace

void attention(const AttentionShape& s, const float* __restrict q, const float* __restrict k,
               const float* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
               int64_t head_end) {
  const int64_t hd = s.head_dim;
  if (hd % 8 != 0) {
    scalar::attention(s, q, k, v, out, scores, head_begin, head_end);
    return;
  }
  const int64_t q_stride = s.n_heads * hd;
  const int64_t kv_stride = s.n_kv_heads * hd;
  const int64_t group = s.n_heads / s.n_kv_heads;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const int64_t n_keys = s.pos0 + t + 1;
    for (int64_t h0 = head_begin; h0 < head_end;) {
      // heads of the same KV head as h0, at most kTileHeads of them
      const int64_t kv = h0 / group;
      const int64_t h1 = std::min({head_end, (kv + 1) * group, h0 + kTileHeads});
      attend_tile(q + t * q_stride, k + kv * hd, v + kv * hd, out + t * q_stride, n_keys, h0, h1, hd, kv_stride,
                  s.scale);
      h0 = h1;
    }
  }
}

} // namespace lathe::kernels::avx2
