// Causal grouped-query attention over an f32 key/value cache.
//
// Data layout: q and out are (n_tokens, n_heads * head_dim); the caches are
// (positions, n_kv_heads * head_dim), row p holding position p. Query head h
// reads KV head h / (n_heads / n_kv_heads). Query t (position pos0 + t) scores
// keys 0 .. pos0 + t; later positions are never read, which is the causal mask.
//
// Per (token, head), as ggml's soft_max: s_p = (q . k_p) * scale; m = max s;
// e_p = exp(s_p - m), summed in double; out = sum_p (e_p / sum) v_p, in float.

#include <cmath>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {

void attention(const AttentionShape& s, const float* __restrict q, const float* __restrict k,
               const float* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
               int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t kv_stride = s.n_kv_heads * hd;
  const int64_t group = s.n_heads / s.n_kv_heads;

  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const int64_t n_keys = s.pos0 + t + 1;
    for (int64_t h = head_begin; h < head_end; ++h) {
      const float* qh = q + t * q_stride + h * hd;
      const int64_t kv_offset = (h / group) * hd;

      float max = -INFINITY;
      for (int64_t p = 0; p < n_keys; ++p) {
        const float* kp = k + p * kv_stride + kv_offset;
        float dot = 0.0f;
        for (int64_t i = 0; i < hd; ++i) dot += qh[i] * kp[i];
        scores[p] = dot * s.scale;
        max = std::fmax(max, scores[p]);
      }
      double sum = 0.0;
      for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = std::exp(scores[p] - max);
        sum += scores[p];
      }
      const float inv_sum = static_cast<float>(1.0 / sum);

      float* oh = out + t * q_stride + h * hd;
      for (int64_t i = 0; i < hd; ++i) oh[i] = 0.0f;
      for (int64_t p = 0; p < n_keys; ++p) {
        const float weight = scores[p] * inv_sum;
        const float* vp = v + p * kv_stride + kv_offset;
        for (int64_t i = 0; i < hd; ++i) oh[i] += weight * vp[i];
      }
    }
  }
}

} // namespace lathe::kernels::scalar
