// Causal grouped-query attention over the KV cache, AVX2, one kernel per
// cache type (f32, f16, q8_0, q4_0).
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim), a cache row one position's n_kv_heads *
// head_dim elements in the cache's type; query head h reads KV head
// h / (n_heads / n_kv_heads), straight from the cache (no copies). Query t
// reads the positions key_runs() gives (all of 0 .. pos0 + t, or a window of
// them, in one or two runs of rows of a ring). Cache elements are converted
// to f32 8 at a time as they are loaded (a Rows policy per type; exact), and
// everything after that is f32.
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

// 8 elements i .. i + 7 of a KV head's row (i a multiple of 8), as floats.
struct F32Rows {
  static constexpr KvType kType = KvType::kF32;
  static __m256 load8(const uint8_t* row, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i); }
};
struct F16Rows {
  static constexpr KvType kType = KvType::kF16;
  static __m256 load8(const uint8_t* row, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
  }
};
struct Q8_0Rows {
  static constexpr KvType kType = KvType::kQ8_0;
  static __m256 load8(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + i / kQK;
    // lanes: codes i % 32 .. i % 32 + 7 of the block, widened to int32, then float
    const __m256 codes = _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->qs + i % kQK))));
    return _mm256_mul_ps(codes, _mm256_set1_ps(f16_to_f32(b->d)));
  }
};
struct Q4_0Rows {
  static constexpr KvType kType = KvType::kQ4_0;
  static __m256 load8(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + i / kQK;
    const int j = static_cast<int>(i % kQK);
    // elements j .. j + 7: bytes j % 16 .. j % 16 + 7, low nibbles below 16, high ones above
    const __m128i packed = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->qs + j % (kQK / 2)));
    const __m128i nibbles = j < kQK / 2 ? packed : _mm_srli_epi16(packed, 4);
    const __m256i codes = _mm256_cvtepu8_epi32(_mm_and_si128(nibbles, _mm_set1_epi8(0x0F)));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(codes, _mm256_set1_epi32(8))),
                         _mm256_set1_ps(f16_to_f32(b->d)));
  }
};

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

// Scores of the count (<= 8) keys in rows k_rows, k_rows + row_bytes, ...
// for one query head, scaled; lanes past count are -inf.
template <class Rows>
inline __m256 block_scores(const float* __restrict qh, const uint8_t* __restrict k_rows, int64_t row_bytes,
                           int count, int64_t hd, float scale) {
  __m256 r[kKeys];
  for (int j = 0; j < kKeys; ++j) r[j] = _mm256_setzero_ps();
  for (int j = 0; j < count; ++j) {
    const uint8_t* kp = k_rows + j * row_bytes;
    __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(qh), Rows::load8(kp, 0));
    for (int64_t i = 8; i < hd; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qh + i), Rows::load8(kp, i), acc);
    r[j] = acc;
  }
  const __m256 s = _mm256_mul_ps(transpose_sum8(r), _mm256_set1_ps(scale));
  // lanes below count keep their score, the others are -inf
  const __m256 valid = _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), s, valid);
}

// One token, the heads [h0, h1) of one KV head (at most kTileHeads), over
// the key rows of `runs`.
//   k, v: the KV head's part of cache row 0
template <class Rows>
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
  alignas(32) float weights[kKeys];
  for (int r = 0; r < 2; ++r) {
    const int64_t row_end = runs.row[r] + runs.count[r];
    for (int64_t p0 = runs.row[r]; p0 < row_end; p0 += kKeys) {
      const int count = static_cast<int>(std::min<int64_t>(kKeys, row_end - p0));
      for (int64_t h = h0; h < h1; ++h) {
        const __m256 s = block_scores<Rows>(q + h * hd, k + p0 * row_bytes, row_bytes, count, hd, scale);
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
            o = _mm256_fmadd_ps(_mm256_set1_ps(weights[j]), Rows::load8(v + (p0 + j) * row_bytes, i), o);
          }
          _mm256_storeu_ps(oh + i, o);
        }
      }
    }
  }
  for (int64_t h = h0; h < h1; ++h) {
    const __m256 inv = _mm256_set1_ps(1.0f / l[h - h0]);
    float* oh = out + h * hd;
    for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(oh + i, _mm256_mul_ps(_mm256_loadu_ps(oh + i), inv));
  }
}

template <class Rows>
void attend(const AttentionShape& s, const float* __restrict q, const void* __restrict k, const void* __restrict v,
            float* __restrict out, int64_t head_begin, int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t row_bytes = kv_row_bytes(Rows::kType, s.n_kv_heads * hd);
  const int64_t group = s.n_heads / s.n_kv_heads;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const KeyRuns runs = key_runs(s.pos0 + t, s.window, s.n_slots);
    for (int64_t h0 = head_begin; h0 < head_end;) {
      // heads of the same KV head as h0, at most kTileHeads of them
      const int64_t kv = h0 / group;
      const int64_t h1 = std::min({head_end, (kv + 1) * group, h0 + kTileHeads});
      const int64_t head_offset = kv_row_bytes(Rows::kType, kv * hd);
      attend_tile<Rows>(q + t * q_stride, static_cast<const uint8_t*>(k) + head_offset,
                        static_cast<const uint8_t*>(v) + head_offset, out + t * q_stride, runs, h0, h1, hd,
                        row_bytes, s.scale);
      h0 = h1;
    }
  }
}

} // namespace

void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 8 != 0) return scalar::attention_f32(s, q, k, v, out, scores, head_begin, head_end);
  attend<F32Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 8 != 0) return scalar::attention_f16(s, q, k, v, out, scores, head_begin, head_end);
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

} // namespace lathe::kernels::avx2
