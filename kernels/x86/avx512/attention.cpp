// Causal grouped-query attention over the KV cache, AVX-512, one kernel per
// cache type (f32, f16, q8_0, q4_0).
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim), a cache row one position's n_kv_heads *
// head_dim elements in the cache's type; query head h reads KV head
// h / (n_heads / n_kv_heads), straight from the cache (no copies). Query t
// reads the positions key_runs() gives (all of 0 .. pos0 + t, or a window of
// them, in one or two runs of rows of a ring). Cache elements are converted
// to f32 16 at a time as they are loaded (a Rows policy per type; exact), and
// everything after that is f32.
//
// One pass over the keys, 16 at a time, with a running-max softmax per head:
//   scores  s_p = (q . k_p) * scale: per key a 16-lane partial product, the
//           16 keys' partials reduced together by a transpose-and-add tree
//   update  m' = max(m, max_p s_p); the running sum l and the output row
//           (accumulated in out itself) are rescaled by e^(m - m'), then
//           l += sum_p e^(s_p - m') and out += sum_p e^(s_p - m') v_p
//   finish  out /= l
// The query heads that share a KV head (a tile of up to kTileHeads of them)
// go through each block of 16 keys together, so every key and value row is
// read from memory once per tile, and from L1 by the other heads. Keys past
// the causal limit are never read. head_dim must be a multiple of 16; other
// shapes use the scalar kernel.

#include "kernels/x86/intrinsics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"

namespace lathe::kernels::avx512 {
namespace {

// 16 elements i .. i + 15 of a KV head's row (i a multiple of 16), as floats.
struct F32Rows {
  static constexpr KvType kType = KvType::kF32;
  static __m512 load16(const uint8_t* row, int64_t i) { return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + i); }
};
struct F16Rows {
  static constexpr KvType kType = KvType::kF16;
  static __m512 load16(const uint8_t* row, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * i)));
  }
};
struct Q8_0Rows {
  static constexpr KvType kType = KvType::kQ8_0;
  static __m512 load16(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + i / kQK;
    // lanes: codes i % 32 .. i % 32 + 15 of the block, widened to int32, then float
    const __m512 codes = _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs + i % kQK))));
    return _mm512_mul_ps(codes, _mm512_set1_ps(f16_to_f32(b->d)));
  }
};
struct Q4_0Rows {
  static constexpr KvType kType = KvType::kQ4_0;
  static __m512 load16(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + i / kQK;
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs));
    // elements 0..15 of the block are the low nibbles, 16..31 the high ones
    const __m128i nibbles = i % kQK == 0 ? packed : _mm_srli_epi16(packed, 4);
    const __m512i codes = _mm512_cvtepu8_epi32(_mm_and_si128(nibbles, _mm_set1_epi8(0x0F)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(codes, _mm512_set1_epi32(8))),
                         _mm512_set1_ps(f16_to_f32(b->d)));
  }
};

constexpr int kKeys = 16;      // keys per block: one score per lane
constexpr int kTileHeads = 8;  // query heads sharing a KV head, per pass over the keys

// r[j] holds 16 partial products of key j; returns the vector whose lane j is
// the sum of r[j]'s lanes.
inline __m512 transpose_sum16(__m512 r[16]) {
  __m512 u[8];
  for (int j = 0; j < 8; ++j) {
    // per 128-bit lane: [a0 + a2, b0 + b2, a1 + a3, b1 + b3] of a = r[2j], b = r[2j + 1]
    u[j] = _mm512_add_ps(_mm512_unpacklo_ps(r[2 * j], r[2 * j + 1]), _mm512_unpackhi_ps(r[2 * j], r[2 * j + 1]));
  }
  __m512 v[4];
  for (int j = 0; j < 4; ++j) {
    // per 128-bit lane: the lane sums of keys 4j, 4j + 1, 4j + 2, 4j + 3
    const __m512d a = _mm512_castps_pd(u[2 * j]);
    const __m512d b = _mm512_castps_pd(u[2 * j + 1]);
    v[j] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // Sum the four 128-bit lanes of each v[j] and place it in 128-bit lane j.
  const __m512 w01 = _mm512_add_ps(_mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 w23 = _mm512_add_ps(_mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w01, w23, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(w01, w23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Scores of the count (<= 16) keys in rows k_rows, k_rows + row_bytes, ...
// for one query head, scaled; lanes past count are -inf. kChunks > 0:
// head_dim = 16 * kChunks, with the query held in registers and a full block
// unrolled; 0: any multiple of 16.
template <class Rows, int kChunks>
inline __m512 block_scores(const float* __restrict qh, const uint8_t* __restrict k_rows, int64_t row_bytes,
                           int count, int64_t hd, float scale) {
  __m512 r[kKeys];
  if constexpr (kChunks > 0) {
    __m512 qv[kChunks];
    for (int c = 0; c < kChunks; ++c) qv[c] = _mm512_loadu_ps(qh + 16 * c);
    const auto key = [&](int j) {
      const uint8_t* kp = k_rows + j * row_bytes;
      __m512 acc = _mm512_mul_ps(qv[0], Rows::load16(kp, 0));
      for (int c = 1; c < kChunks; ++c) acc = _mm512_fmadd_ps(qv[c], Rows::load16(kp, 16 * c), acc);
      return acc;
    };
    if (count == kKeys) {
      for (int j = 0; j < kKeys; ++j) r[j] = key(j); // unrolled: r stays in registers
    } else {
      for (int j = 0; j < kKeys; ++j) r[j] = j < count ? key(j) : _mm512_setzero_ps();
    }
  } else {
    for (int j = 0; j < kKeys; ++j) r[j] = _mm512_setzero_ps();
    for (int j = 0; j < count; ++j) {
      const uint8_t* kp = k_rows + j * row_bytes;
      __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(qh), Rows::load16(kp, 0));
      for (int64_t i = 16; i < hd; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(qh + i), Rows::load16(kp, i), acc);
      r[j] = acc;
    }
  }
  const __m512 s = _mm512_mul_ps(transpose_sum16(r), _mm512_set1_ps(scale));
  const __mmask16 valid = static_cast<__mmask16>((1u << count) - 1);
  return _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), valid, s);
}

// o = o * rescale + sum_j weights[j] * v row j, j < count, over head_dim
// floats: 64 columns at a time, even and odd keys in separate accumulators,
// so that the key loop carries eight independent chains of multiply-adds.
// (weights[j] is 0 for j >= count, the rows there are never read.)
template <class Rows>
inline void accumulate_values(float* __restrict o, const uint8_t* __restrict v_rows, int64_t row_bytes,
                              const float* __restrict weights, int count, float rescale, int64_t hd) {
  const __m512 vr = _mm512_set1_ps(rescale);
  int64_t i = 0;
  for (; i + 64 <= hd; i += 64) {
    __m512 a[4];
    __m512 b[4];
    for (int c = 0; c < 4; ++c) {
      a[c] = _mm512_mul_ps(_mm512_loadu_ps(o + i + 16 * c), vr);
      b[c] = _mm512_setzero_ps();
    }
    int j = 0;
    for (; j + 2 <= count; j += 2) {
      const __m512 w0 = _mm512_set1_ps(weights[j]);
      const __m512 w1 = _mm512_set1_ps(weights[j + 1]);
      const uint8_t* v0 = v_rows + j * row_bytes;
      const uint8_t* v1 = v0 + row_bytes;
      for (int c = 0; c < 4; ++c) {
        a[c] = _mm512_fmadd_ps(w0, Rows::load16(v0, i + 16 * c), a[c]);
        b[c] = _mm512_fmadd_ps(w1, Rows::load16(v1, i + 16 * c), b[c]);
      }
    }
    if (j < count) {
      const __m512 w0 = _mm512_set1_ps(weights[j]);
      const uint8_t* v0 = v_rows + j * row_bytes;
      for (int c = 0; c < 4; ++c) a[c] = _mm512_fmadd_ps(w0, Rows::load16(v0, i + 16 * c), a[c]);
    }
    for (int c = 0; c < 4; ++c) _mm512_storeu_ps(o + i + 16 * c, _mm512_add_ps(a[c], b[c]));
  }
  for (; i < hd; i += 16) {
    __m512 a = _mm512_mul_ps(_mm512_loadu_ps(o + i), vr);
    for (int j = 0; j < count; ++j) {
      a = _mm512_fmadd_ps(_mm512_set1_ps(weights[j]), Rows::load16(v_rows + j * row_bytes, i), a);
    }
    _mm512_storeu_ps(o + i, a);
  }
}

// One token, the heads [h0, h1) of one KV head (at most kTileHeads), over
// the key rows of `runs`.
//   k, v: the KV head's part of cache row 0
template <class Rows, int kChunks>
void attend_tile(const float* __restrict q, const uint8_t* __restrict k, const uint8_t* __restrict v,
                 float* __restrict out, const KeyRuns& runs, int64_t h0, int64_t h1, int64_t hd, int64_t row_bytes,
                 float scale) {
  float m[kTileHeads];
  float l[kTileHeads];
  for (int64_t h = h0; h < h1; ++h) {
    m[h - h0] = -INFINITY;
    l[h - h0] = 0.0f;
    std::fill(out + h * hd, out + (h + 1) * hd, 0.0f);
  }
  alignas(64) float weights[kKeys];
  for (int r = 0; r < 2; ++r) {
    const int64_t row_end = runs.row[r] + runs.count[r];
    for (int64_t p0 = runs.row[r]; p0 < row_end; p0 += kKeys) {
      const int count = static_cast<int>(std::min<int64_t>(kKeys, row_end - p0));
      for (int64_t h = h0; h < h1; ++h) {
        const __m512 s = block_scores<Rows, kChunks>(q + h * hd, k + p0 * row_bytes, row_bytes, count, hd, scale);
        const float m_old = m[h - h0];
        const float m_new = std::max(m_old, _mm512_reduce_max_ps(s));
        const float rescale = std::exp(m_old - m_new); // 0 on the first block (m_old = -inf)
        const __m512 e = exp(_mm512_sub_ps(s, _mm512_set1_ps(m_new))); // 0 in the lanes past count
        l[h - h0] = l[h - h0] * rescale + _mm512_reduce_add_ps(e);
        m[h - h0] = m_new;
        _mm512_store_ps(weights, e);

        accumulate_values<Rows>(out + h * hd, v + p0 * row_bytes, row_bytes, weights, count, rescale, hd);
      }
    }
  }
  for (int64_t h = h0; h < h1; ++h) {
    const __m512 inv = _mm512_set1_ps(1.0f / l[h - h0]);
    float* oh = out + h * hd;
    for (int64_t i = 0; i < hd; i += 16) _mm512_storeu_ps(oh + i, _mm512_mul_ps(_mm512_loadu_ps(oh + i), inv));
  }
}

template <class Rows>
void attend(const AttentionShape& s, const float* __restrict q, const void* __restrict k, const void* __restrict v,
            float* __restrict out, int64_t head_begin, int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t row_bytes = kv_row_bytes(Rows::kType, s.n_kv_heads * hd);
  const int64_t group = s.n_heads / s.n_kv_heads;
  // head sizes of the default models (64) and of larger ones (128) get the register-resident query
  const auto tile = hd == 64 ? attend_tile<Rows, 4> : hd == 128 ? attend_tile<Rows, 8> : attend_tile<Rows, 0>;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const KeyRuns runs = key_runs(s.pos0 + t, s.window, s.n_slots);
    for (int64_t h0 = head_begin; h0 < head_end;) {
      // heads of the same KV head as h0, at most kTileHeads of them
      const int64_t kv = h0 / group;
      const int64_t h1 = std::min({head_end, (kv + 1) * group, h0 + kTileHeads});
      const int64_t head_offset = kv_row_bytes(Rows::kType, kv * hd);
      tile(q + t * q_stride, static_cast<const uint8_t*>(k) + head_offset,
           static_cast<const uint8_t*>(v) + head_offset, out + t * q_stride, runs, h0, h1, hd, row_bytes, s.scale);
      h0 = h1;
    }
  }
}

} // namespace

void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 16 != 0) return scalar::attention_f32(s, q, k, v, out, scores, head_begin, head_end);
  attend<F32Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 16 != 0) return scalar::attention_f16(s, q, k, v, out, scores, head_begin, head_end);
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

} // namespace lathe::kernels::avx512
