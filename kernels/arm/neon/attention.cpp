// Causal grouped-query attention over an f32 key/value cache, one pass over
// the keys with a running-max softmax.
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim); k and v are (positions, n_kv_heads * head_dim),
// row p holding position p; query head h reads KV head h / (n_heads / n_kv_heads).
//
// GQA without copying: the query heads that share a KV head are taken in
// tiles of up to four, and each key and value row is loaded once per tile
// (not once per head) straight from the cache. Per head, for keys p in order:
//   s = (q . k_p) * scale
//   if s > m:  out *= e^(m - s), l *= e^(m - s), m = s     (rescale to the new max)
//   w = e^(s - m);  l += w;  out += w v_p
// and finally out /= l. This needs no score buffer (the `scores` scratch of
// the signature is unused) and reads every key and value once; it equals
// softmax(q k^T * scale) v up to rounding. The running sum l is a float, where
// the reference sums in double.

#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "kernels/arm/neon/neon_kernels.h"

namespace lathe::kernels::neon {
namespace {

// dot[t] = q_t . k for the kHeads query rows q + t * hd, hd elements.
template <int kHeads>
inline void dot_heads(const float* __restrict q, const float* __restrict k, int64_t hd, float* dot) {
  float32x4_t acc[kHeads];
  for (int t = 0; t < kHeads; ++t) acc[t] = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 4 <= hd; i += 4) {
    const float32x4_t kv = vld1q_f32(k + i); // one load of the key, used by every head of the tile
    for (int t = 0; t < kHeads; ++t) acc[t] = vfmaq_f32(acc[t], vld1q_f32(q + t * hd + i), kv);
  }
  for (int t = 0; t < kHeads; ++t) {
    float sum = vaddvq_f32(acc[t]);
    for (int64_t j = i; j < hd; ++j) sum += q[t * hd + j] * k[j];
    dot[t] = sum;
  }
}

// out_t = out_t * rescale[t] + weight[t] * v for the kHeads output rows.
template <int kHeads>
inline void update_heads(float* __restrict out, const float* __restrict v, int64_t hd, const float* rescale,
                         const float* weight) {
  int64_t i = 0;
  for (; i + 4 <= hd; i += 4) {
    const float32x4_t vv = vld1q_f32(v + i); // one load of the value row for the tile
    for (int t = 0; t < kHeads; ++t) {
      float* o = out + t * hd + i;
      vst1q_f32(o, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(o), rescale[t]), vv, weight[t]));
    }
  }
  for (; i < hd; ++i) {
    for (int t = 0; t < kHeads; ++t) out[t * hd + i] = out[t * hd + i] * rescale[t] + weight[t] * v[i];
  }
}

// Attends kHeads consecutive query heads that share one KV head, for one
// token, over keys 0 .. n_keys - 1.
//   q, out: the first head of the tile; heads follow at stride hd
//   k, v:   the shared KV head's row at position 0; positions at stride kv_stride
template <int kHeads>
void attend_tile(const float* __restrict q, const float* __restrict k, const float* __restrict v,
                 float* __restrict out, int64_t n_keys, int64_t hd, int64_t kv_stride, float scale) {
  float max[kHeads];
  float sum[kHeads];
  for (int t = 0; t < kHeads; ++t) {
    max[t] = -INFINITY;
    sum[t] = 0.0f;
    for (int64_t i = 0; i < hd; ++i) out[t * hd + i] = 0.0f;
  }
  for (int64_t p = 0; p < n_keys; ++p) {
    float s[kHeads];
    dot_heads<kHeads>(q, k + p * kv_stride, hd, s);
    float rescale[kHeads];
    float weight[kHeads];
    for (int t = 0; t < kHeads; ++t) {
      s[t] *= scale;
      rescale[t] = 1.0f;
      if (s[t] > max[t]) { // a new maximum: e^(old max - new max) < 1; 0 for the first key
        rescale[t] = std::exp(max[t] - s[t]);
        sum[t] *= rescale[t];
        max[t] = s[t];
      }
      weight[t] = std::exp(s[t] - max[t]);
      sum[t] += weight[t];
    }
    update_heads<kHeads>(out, v + p * kv_stride, hd, rescale, weight);
  }
  for (int t = 0; t < kHeads; ++t) {
    const float inv = 1.0f / sum[t];
    float* o = out + t * hd;
    int64_t i = 0;
    for (; i + 4 <= hd; i += 4) vst1q_f32(o + i, vmulq_n_f32(vld1q_f32(o + i), inv));
    for (; i < hd; ++i) o[i] *= inv;
  }
}

// attend_tile for a tile of 1..4 heads.
using TileFn = void (*)(const float* __restrict, const float* __restrict, const float* __restrict,
                        float* __restrict, int64_t, int64_t, int64_t, float);
constexpr TileFn kTiles[5] = {nullptr, attend_tile<1>, attend_tile<2>, attend_tile<3>, attend_tile<4>};

} // namespace

void attention(const AttentionShape& s, const float* __restrict q, const float* __restrict k,
               const float* __restrict v, float* __restrict out, float* __restrict /*scores*/,
               int64_t head_begin, int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t kv_stride = s.n_kv_heads * hd;
  const int64_t group = s.n_heads / s.n_kv_heads;

  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const int64_t n_keys = s.pos0 + t + 1;
    int64_t h = head_begin;
    while (h < head_end) {
      const int64_t kv_head = h / group;
      // the tile: heads h .. h + tile - 1, all in KV head kv_head's group and in range
      const int64_t group_end = (kv_head + 1) * group;
      const int64_t last = group_end < head_end ? group_end : head_end;
      const int64_t tile = last - h < 4 ? last - h : 4;
      const float* qh = q + t * q_stride + h * hd;
      float* oh = out + t * q_stride + h * hd;
      const float* kh = k + kv_head * hd;
      const float* vh = v + kv_head * hd;
      kTiles[tile](qh, kh, vh, oh, n_keys, hd, kv_stride, s.scale);
      h += tile;
    }
  }
}

} // namespace lathe::kernels::neon
