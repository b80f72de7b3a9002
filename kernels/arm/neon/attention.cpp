// Causal grouped-query attention over the KV cache, one pass over the keys
// with a running-max softmax; one kernel per cache type (f32, f16, q8_0, q4_0).
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim); a cache row is one position's
// n_kv_heads * head_dim elements in the cache's type; query head h reads KV
// head h / (n_heads / n_kv_heads). Query t reads the positions key_runs()
// gives (all of 0 .. pos0 + t, or a window of them, in one or two runs of
// rows of a ring). Cache elements are converted to f32 four at a time as they
// are loaded (a Rows policy per type; exact); everything after is f32.
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
// the reference sums in double. head_dim must be a multiple of 4; other
// shapes use the scalar kernel.

#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::neon {
namespace {

// Four elements i .. i + 3 of a KV head's row (i a multiple of 4), as floats.
struct F32Rows {
  static constexpr KvType kType = KvType::kF32;
  static float32x4_t load4(const uint8_t* row, int64_t i) { return vld1q_f32(reinterpret_cast<const float*>(row) + i); }
};
struct F16Rows {
  static constexpr KvType kType = KvType::kF16;
  static float32x4_t load4(const uint8_t* row, int64_t i) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row) + i)));
  }
};
struct Q8_0Rows {
  static constexpr KvType kType = KvType::kQ8_0;
  static float32x4_t load4(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + i / kQK;
    const int j = static_cast<int>(i % kQK);
    const int16x8_t c8 = vmovl_s8(vld1_s8(b->qs + (j & ~7))); // codes of the aligned 8 around j
    const int16x4_t c4 = (j & 4) != 0 ? vget_high_s16(c8) : vget_low_s16(c8);
    return vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(c4)), half_to_float(b->d));
  }
};
struct Q4_0Rows {
  static constexpr KvType kType = KvType::kQ4_0;
  static float32x4_t load4(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + i / kQK;
    const int j = static_cast<int>(i % kQK);
    // elements j .. j + 3 sit in bytes j % 16 ..: low nibbles below 16, high ones above
    const uint8x8_t packed = vld1_u8(b->qs + ((j % (kQK / 2)) & ~7));
    const uint16x8_t n8 = vmovl_u8(j < kQK / 2 ? vand_u8(packed, vdup_n_u8(0x0F)) : vshr_n_u8(packed, 4));
    const uint16x4_t n4 = (j & 4) != 0 ? vget_high_u16(n8) : vget_low_u16(n8);
    const int32x4_t codes = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(n4)), vdupq_n_s32(8));
    return vmulq_n_f32(vcvtq_f32_s32(codes), half_to_float(b->d));
  }
};

// dot[t] = q_t . k for the kHeads query rows q + t * hd, hd elements.
template <class Rows, int kHeads>
inline void dot_heads(const float* __restrict q, const uint8_t* __restrict k, int64_t hd, float* dot) {
  float32x4_t acc[kHeads];
  for (int t = 0; t < kHeads; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t i = 0; i < hd; i += 4) {
    const float32x4_t kv = Rows::load4(k, i); // one load of the key, used by every head of the tile
    for (int t = 0; t < kHeads; ++t) acc[t] = vfmaq_f32(acc[t], vld1q_f32(q + t * hd + i), kv);
  }
  for (int t = 0; t < kHeads; ++t) dot[t] = vaddvq_f32(acc[t]);
}

// out_t = out_t * rescale[t] + weight[t] * v for the kHeads output rows.
template <class Rows, int kHeads>
inline void update_heads(float* __restrict out, const uint8_t* __restrict v, int64_t hd, const float* rescale,
                         const float* weight) {
  for (int64_t i = 0; i < hd; i += 4) {
    const float32x4_t vv = Rows::load4(v, i); // one load of the value row for the tile
    for (int t = 0; t < kHeads; ++t) {
      float* o = out + t * hd + i;
      vst1q_f32(o, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(o), rescale[t]), vv, weight[t]));
    }
  }
}

// Attends kHeads consecutive query heads that share one KV head, for one
// token, over the key rows of `runs`.
//   q, out: the first head of the tile; heads follow at stride hd
//   k, v:   the shared KV head's part of cache row 0; rows at stride row_bytes
template <class Rows, int kHeads>
void attend_tile(const float* __restrict q, const uint8_t* __restrict k, const uint8_t* __restrict v,
                 float* __restrict out, const KeyRuns& runs, int64_t hd, int64_t row_bytes, float scale) {
  float max[kHeads];
  float sum[kHeads];
  for (int t = 0; t < kHeads; ++t) {
    max[t] = -INFINITY;
    sum[t] = 0.0f;
    for (int64_t i = 0; i < hd; ++i) out[t * hd + i] = 0.0f;
  }
  for (int r = 0; r < 2; ++r) {
    for (int64_t p = runs.row[r]; p < runs.row[r] + runs.count[r]; ++p) {
      float s[kHeads];
      dot_heads<Rows, kHeads>(q, k + p * row_bytes, hd, s);
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
      update_heads<Rows, kHeads>(out, v + p * row_bytes, hd, rescale, weight);
    }
  }
  for (int t = 0; t < kHeads; ++t) {
    const float inv = 1.0f / sum[t];
    float* o = out + t * hd;
    for (int64_t i = 0; i < hd; i += 4) vst1q_f32(o + i, vmulq_n_f32(vld1q_f32(o + i), inv));
  }
}

template <class Rows>
void attend(const AttentionShape& s, const float* __restrict q, const void* __restrict k, const void* __restrict v,
            float* __restrict out, int64_t head_begin, int64_t head_end) {
  // attend_tile for a tile of 1..4 heads
  using TileFn = void (*)(const float* __restrict, const uint8_t* __restrict, const uint8_t* __restrict,
                          float* __restrict, const KeyRuns&, int64_t, int64_t, float);
  constexpr TileFn kTiles[5] = {nullptr, attend_tile<Rows, 1>, attend_tile<Rows, 2>, attend_tile<Rows, 3>,
                                attend_tile<Rows, 4>};
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t row_bytes = kv_row_bytes(Rows::kType, s.n_kv_heads * hd);
  const int64_t group = s.n_heads / s.n_kv_heads;

  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const KeyRuns runs = key_runs(s.pos0 + t, s.window, s.n_slots);
    int64_t h = head_begin;
    while (h < head_end) {
      const int64_t kv_head = h / group;
      // the tile: heads h .. h + tile - 1, all in KV head kv_head's group and in range
      const int64_t group_end = (kv_head + 1) * group;
      const int64_t last = group_end < head_end ? group_end : head_end;
      const int64_t tile = last - h < 4 ? last - h : 4;
      const int64_t head_offset = kv_row_bytes(Rows::kType, kv_head * hd);
      kTiles[tile](q + t * q_stride + h * hd, static_cast<const uint8_t*>(k) + head_offset,
                   static_cast<const uint8_t*>(v) + head_offset, out + t * q_stride + h * hd, runs, hd, row_bytes,
                   s.scale);
      h += tile;
    }
  }
}

} // namespace

void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 4 != 0) return scalar::attention_f32(s, q, k, v, out, scores, head_begin, head_end);
  attend<F32Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 4 != 0) return scalar::attention_f16(s, q, k, v, out, scores, head_begin, head_end);
  attend<F16Rows>(s, q, k, v, out, head_begin, head_end);
}

// head_dim is a multiple of 32 (the block size) for the block types.
void attention_q8_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict /*scores*/,
                    int64_t head_begin, int64_t head_end) {
  attend<Q8_0Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_q4_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict /*scores*/,
                    int64_t head_begin, int64_t head_end) {
  attend<Q4_0Rows>(s, q, k, v, out, head_begin, head_end);
}

} // namespace lathe::kernels::neon
