// Causal grouped-query attention over the KV cache, AVX-512, one kernel per
// cache type (f32, f16, q8_0, q4_0), with two paths: per query token (decode,
// short chunks) and tiled over many query tokens (prefill chunks).
//
// Data layout as in kernels/scalar/attention.cpp: q and out are
// (n_tokens, n_heads * head_dim), a cache row one position's n_kv_heads *
// head_dim elements in the cache's type; query head h reads KV head
// h / (n_heads / n_kv_heads), straight from the cache (no copies). Query t
// reads the positions key_runs() gives (all of 0 .. pos0 + t, or a window of
// them, in one or two runs of rows of a ring). Cache elements are converted
// to f32 16 at a time as they are loaded (a Rows policy per type; exact), and
// everything after that is f32. Both paths use a running-max softmax and the
// same vector exp, so they agree with the scalar kernel within its rounding
// (different summation orders, not bit for bit).
//
// Per query token (calls of fewer than 8 tokens):
// one pass over the keys, 16 at a time, with a running-max softmax per head:
//   scores  s_p = (q . k_p) * scale: per key a 16-lane partial product, the
//           16 keys' partials reduced together by a transpose-and-add tree
//   update  m' = max(m, max_p s_p); the running sum l and the output row
//           (accumulated in out itself) are rescaled by e^(m - m'), then
//           l += sum_p e^(s_p - m') and out += sum_p e^(s_p - m') v_p
//   finish  out /= l
// The query heads that share a KV head (a tile of up to kTileHeads of them)
// go through each block of 16 keys together, so every key and value row is
// read from memory once per tile, and from L1 by the other heads. Keys past
// the causal limit are never read.
//
// Tiled (flash-style), for more query tokens: a matrix product per block of
// 16 queries (one per lane) and 16 keys, in the `scores` scratch
// (attention_scratch_floats): see "Tiled prefill path" below. Each key block's
// K and V rows are converted to f32 once per KV head tile and used by every
// head of the tile and all 16 queries; S = K Q^T is 16 multiply-adds of a
// Q^T column by a broadcast K element per head element (no horizontal sums),
// the online softmax runs per lane, and O += P V accumulates in register tiles
// of 4 queries x 64 columns.
//
// head_dim must be a multiple of 16; other shapes use the scalar kernel.

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


// --- Tiled prefill path: many query tokens at once ----------------------------
//
// Per KV head, per tile of up to kTiledTileHeads of its query heads, per block of
// up to 16 query tokens (one per lane), per block of up to 16 keys: the block's
// K and V rows are converted to f32 once into scratch, then for each head
//   S (16 keys x 16 query lanes) = K Q^T, one key per register: per element d
//       of the head, 16 multiply-adds of the column Q^T[d] by the broadcast
//       K[j][d] (no horizontal sums)
//   mask: keys after the query (causal) or before its window -> -inf
//   online softmax per query lane (m, l as vectors)
//   O (16 queries x head_dim, in scratch) = O * e^(m - m') + P V, in register
//       tiles of 4 queries x 64 columns, V rows loaded once per key, the
//       weights broadcast
// then out = O / l. The key blocks are aligned to multiples of 16 positions,
// so a query's result does not depend on how a chunk is split into calls (as
// long as each call takes this path), nor on the head range; the causal mask
// falls on the one or two blocks of the query block's diagonal.

constexpr int kQueries = 16;        // query tokens per block: one per lane
constexpr int kTiledTileHeads = 8;  // query heads of a KV head per pass over the keys

// The scratch, in floats, each part 64-byte aligned (hd is a multiple of 16):
//   k_blk, v_blk (16, hd) the key block's rows as f32
//   p            (16 keys, 16 queries) the block's weights
//   alpha        (16) the block's rescaling per query
//   per head of the tile: qt (hd, 16) the block's queries transposed (unscaled),
//                o (16, hd) unnormalized output, m, l (16) running max and sum
int64_t tiled_scratch_floats(int64_t hd, int64_t tile_heads) {
  return 2 * kQueries * hd + kQueries * kQueries + kQueries + tile_heads * (2 * kQueries * hd + 2 * kQueries) +
         16; // slack to align the start to 64 bytes
}

struct TiledScratch {
  float* k_blk;
  float* v_blk;
  float* p;
  float* alpha;
  float* head; // per head: qt, o, m, l
  int64_t head_stride;
  float* qt(int i) const { return head + i * head_stride; }
  float* o(int i, int64_t hd) const { return qt(i) + kQueries * hd; }
  float* m(int i, int64_t hd) const { return o(i, hd) + kQueries * hd; }
  float* l(int i, int64_t hd) const { return m(i, hd) + kQueries; }

  TiledScratch(float* scratch, int64_t hd) {
    auto* base = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t{63});
    k_blk = base;
    v_blk = k_blk + kQueries * hd;
    p = v_blk + kQueries * hd;
    alpha = p + kQueries * kQueries;
    head = alpha + kQueries;
    head_stride = 2 * kQueries * hd + 2 * kQueries;
  }
};

// Rows of positions kp .. kp + count - 1 of one KV head (row p, or p % n_slots
// in a ring) as f32 into blk (16, hd); the rows past count are zeroed.
template <class Rows>
inline void load_block(float* __restrict blk, const uint8_t* __restrict head_rows, int64_t row_bytes, int64_t kp,
                       int count, int64_t n_slots, int64_t hd) {
  for (int j = 0; j < count; ++j) {
    const int64_t pos = kp + j;
    const uint8_t* row = head_rows + (n_slots > 0 ? pos % n_slots : pos) * row_bytes;
    for (int64_t i = 0; i < hd; i += 16) _mm512_store_ps(blk + j * hd + i, Rows::load16(row, i));
  }
  for (int j = count; j < kQueries; ++j) {
    for (int64_t i = 0; i < hd; i += 16) _mm512_store_ps(blk + j * hd + i, _mm512_setzero_ps());
  }
}

// s[j] lane i = sum_d qt[d][i] * k_blk[j][d]: the 16 keys' scores of the 16
// queries (unscaled). qt (hd, 16), k_blk (16, hd). kHd > 0: hd = kHd, so that
// the 16 rows are constant offsets from one pointer (a multiply-add with a
// broadcast memory operand each); 0: any hd.
template <int kHd>
inline void block_scores_tiled(const float* __restrict qt, const float* __restrict k_blk, int64_t hd_any,
                               __m512 s[16]) {
  const int64_t hd = kHd > 0 ? kHd : hd_any;
#pragma GCC unroll 16
  for (int j = 0; j < kQueries; ++j) s[j] = _mm512_setzero_ps();
  for (int64_t d = 0; d < hd; ++d) {
    const __m512 qd = _mm512_load_ps(qt + d * kQueries);
#pragma GCC unroll 16
    for (int j = 0; j < kQueries; ++j) s[j] = _mm512_fmadd_ps(qd, _mm512_set1_ps(k_blk[j * hd + d]), s[j]);
  }
}

// o rows [0, n_rows) (n_rows a multiple of 4), columns [c0, c0 + 16 kC):
// o[i] = o[i] * alpha[i] + sum_{j < count} p[j][i] v_blk[j].
template <int kC>
inline void accumulate_tiled(float* __restrict o, const float* __restrict v_blk, const float* __restrict p,
                             const float* __restrict alpha, int count, int n_rows, int64_t hd, int64_t c0) {
  for (int i0 = 0; i0 < n_rows; i0 += 4) {
    __m512 acc[4][kC];
    for (int ii = 0; ii < 4; ++ii) {
      const __m512 a = _mm512_set1_ps(alpha[i0 + ii]);
      for (int c = 0; c < kC; ++c) acc[ii][c] = _mm512_mul_ps(_mm512_load_ps(o + (i0 + ii) * hd + c0 + 16 * c), a);
    }
    for (int j = 0; j < count; ++j) {
      __m512 vv[kC];
      for (int c = 0; c < kC; ++c) vv[c] = _mm512_load_ps(v_blk + j * hd + c0 + 16 * c);
      for (int ii = 0; ii < 4; ++ii) {
        const __m512 w = _mm512_set1_ps(p[j * kQueries + i0 + ii]);
        for (int c = 0; c < kC; ++c) acc[ii][c] = _mm512_fmadd_ps(w, vv[c], acc[ii][c]);
      }
    }
    for (int ii = 0; ii < 4; ++ii) {
      for (int c = 0; c < kC; ++c) _mm512_store_ps(o + (i0 + ii) * hd + c0 + 16 * c, acc[ii][c]);
    }
  }
}

// One key block for one head: scores, mask, online softmax, O update.
//   valid[j]: the query lanes key j may be seen by (0 for j >= count)
template <int kHd>
inline void attend_block_tiled(const TiledScratch& w, int slot, const __mmask16 valid[16], int count, int n_rows,
                               int64_t hd, float scale) {
  __m512 s[kQueries];
  block_scores_tiled<kHd>(w.qt(slot), w.k_blk, hd, s);
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  const __m512 sv = _mm512_set1_ps(scale);
  __m512 mx = neg_inf;
#pragma GCC unroll 16
  for (int j = 0; j < kQueries; ++j) {
    s[j] = _mm512_mask_mul_ps(neg_inf, valid[j], s[j], sv); // scaled where visible, -inf elsewhere
    mx = _mm512_max_ps(mx, s[j]);
  }
  float* m = w.m(slot, hd);
  float* l = w.l(slot, hd);
  const __m512 m_old = _mm512_load_ps(m);
  const __m512 m_new = _mm512_max_ps(m_old, mx);
  // lanes that have seen no key yet subtract 0 instead of -inf (no inf - inf)
  const __m512 m_sub = _mm512_mask_mov_ps(m_new, _mm512_cmp_ps_mask(m_new, neg_inf, _CMP_EQ_OQ), _mm512_setzero_ps());
  const __m512 alpha = exp(_mm512_sub_ps(m_old, m_sub)); // 0 while m_old = -inf
  __m512 sum = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int j = 0; j < kQueries; ++j) {
    const __m512 e = exp(_mm512_sub_ps(s[j], m_sub)); // 0 where masked
    sum = _mm512_add_ps(sum, e);
    _mm512_store_ps(w.p + j * kQueries, e);
  }
  _mm512_store_ps(l, _mm512_fmadd_ps(_mm512_load_ps(l), alpha, sum));
  _mm512_store_ps(m, m_new);
  _mm512_store_ps(w.alpha, alpha);

  float* o = w.o(slot, hd);
  int64_t c0 = 0;
  for (; c0 + 64 <= hd; c0 += 64) accumulate_tiled<4>(o, w.v_blk, w.p, w.alpha, count, n_rows, hd, c0);
  for (; c0 < hd; c0 += 16) accumulate_tiled<1>(o, w.v_blk, w.p, w.alpha, count, n_rows, hd, c0);
}

template <class Rows>
void attend_tiled(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                  const void* __restrict v, float* __restrict out, float* __restrict scratch, int64_t head_begin,
                  int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t row_bytes = kv_row_bytes(Rows::kType, s.n_kv_heads * hd);
  const int64_t group = s.n_heads / s.n_kv_heads;
  const TiledScratch w(scratch, hd);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // head sizes of the default models (64) and of larger ones (128) get constant row offsets
  const auto block = hd == 64 ? attend_block_tiled<64> : hd == 128 ? attend_block_tiled<128> : attend_block_tiled<0>;

  for (int64_t h0 = head_begin; h0 < head_end;) {
    // heads of the same KV head as h0, at most kTiledTileHeads of them
    const int64_t kv = h0 / group;
    const int64_t h1 = std::min({head_end, (kv + 1) * group, h0 + kTiledTileHeads});
    const int64_t head_offset = kv_row_bytes(Rows::kType, kv * hd);
    const auto* k_head = static_cast<const uint8_t*>(k) + head_offset;
    const auto* v_head = static_cast<const uint8_t*>(v) + head_offset;

    for (int64_t t0 = 0; t0 < s.n_tokens; t0 += kQueries) {
      const int nq = static_cast<int>(std::min<int64_t>(kQueries, s.n_tokens - t0));
      const int n_rows = (nq + 3) & ~3;
      const int64_t first = s.pos0 + t0;    // the block's first query position
      const int64_t last = first + nq - 1; // and its last
      const int64_t lo = key_runs(first, s.window, s.n_slots).first_pos; // the oldest key any of them reads
      for (int64_t h = h0; h < h1; ++h) {
        const int slot = static_cast<int>(h - h0);
        float* qt = w.qt(slot);
        for (int64_t d = 0; d < hd; ++d) {
          for (int i = 0; i < kQueries; ++i) qt[d * kQueries + i] = i < nq ? q[(t0 + i) * q_stride + h * hd + d] : 0.0f;
        }
        std::fill(w.o(slot, hd), w.o(slot, hd) + kQueries * hd, 0.0f);
        _mm512_store_ps(w.m(slot, hd), _mm512_set1_ps(-INFINITY));
        _mm512_store_ps(w.l(slot, hd), _mm512_setzero_ps());
      }
      // query positions per lane (lanes past nq are never stored)
      const __m512i qpos = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(first)), lane);
      // key blocks [16 b, 16 b + 15] clipped to [lo, last], newest first: aligned
      // to positions, not to the chunk, so that every query meets the same
      // blocks in the same order however the tokens are split into calls
      // (a block a query may not see adds exact zeros and rescales by 1)
      for (int64_t b = last / kQueries; b >= lo / kQueries; --b) {
        const int64_t kp = std::max(lo, b * kQueries);
        const int64_t kend = std::min(last, b * kQueries + kQueries - 1);
        const int count = static_cast<int>(kend - kp + 1);
        load_block<Rows>(w.k_blk, k_head, row_bytes, kp, count, s.n_slots, hd);
        load_block<Rows>(w.v_blk, v_head, row_bytes, kp, count, s.n_slots, hd);
        __mmask16 valid[kQueries];
        for (int j = 0; j < kQueries; ++j) {
          const int32_t key = static_cast<int32_t>(kp + j);
          // key <= query position, and with a window key > query position - window
          __mmask16 m = _mm512_cmpge_epi32_mask(qpos, _mm512_set1_epi32(key));
          if (s.window > 0) {
            m &= _mm512_cmplt_epi32_mask(qpos, _mm512_set1_epi32(static_cast<int32_t>(kp + j + s.window)));
          }
          valid[j] = j < count ? m : __mmask16{0};
        }
        for (int64_t h = h0; h < h1; ++h) block(w, static_cast<int>(h - h0), valid, count, n_rows, hd, s.scale);
      }
      for (int64_t h = h0; h < h1; ++h) {
        const int slot = static_cast<int>(h - h0);
        const float* o = w.o(slot, hd);
        const float* l = w.l(slot, hd);
        for (int i = 0; i < nq; ++i) {
          const __m512 inv = _mm512_set1_ps(1.0f / l[i]);
          float* oh = out + (t0 + i) * q_stride + h * hd;
          for (int64_t c = 0; c < hd; c += 16) _mm512_storeu_ps(oh + c, _mm512_mul_ps(_mm512_load_ps(o + i * hd + c), inv));
        }
      }
    }
    h0 = h1;
  }
}

// The tiled path takes calls of at least this many query tokens; fewer go
// through the per-query kernel. Measured (bench/attention_bench.cpp, 1
// thread, pos0 512 and 1536, 9/3/64 and 14/2/64): the two break even at ~6
// tokens on an f32 cache and at ~3 on q8_0 (whose per-query kernel converts
// every row once per token). One threshold for every type keeps calls of
// fewer than 8 tokens (decode, short tails) on the per-query arithmetic.
constexpr int64_t kMinTiledTokens = 8;

bool use_tiled(const AttentionShape& s) { return s.n_tokens >= kMinTiledTokens && s.head_dim % 16 == 0; }

} // namespace

void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 16 != 0) return scalar::attention_f32(s, q, k, v, out, scores, head_begin, head_end);
  if (use_tiled(s)) return attend_tiled<F32Rows>(s, q, k, v, out, scores, head_begin, head_end);
  attend<F32Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  if (s.head_dim % 16 != 0) return scalar::attention_f16(s, q, k, v, out, scores, head_begin, head_end);
  if (use_tiled(s)) return attend_tiled<F16Rows>(s, q, k, v, out, scores, head_begin, head_end);
  attend<F16Rows>(s, q, k, v, out, head_begin, head_end);
}

// head_dim is a multiple of 32 (the block size) for the block types.
void attention_q8_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores,
                    int64_t head_begin, int64_t head_end) {
  if (use_tiled(s)) return attend_tiled<Q8_0Rows>(s, q, k, v, out, scores, head_begin, head_end);
  attend<Q8_0Rows>(s, q, k, v, out, head_begin, head_end);
}

void attention_q4_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores,
                    int64_t head_begin, int64_t head_end) {
  if (use_tiled(s)) return attend_tiled<Q4_0Rows>(s, q, k, v, out, scores, head_begin, head_end);
  attend<Q4_0Rows>(s, q, k, v, out, head_begin, head_end);
}

int64_t attention_scratch_floats(const AttentionShape& s) {
  const int64_t keys = attention_key_floats(s);
  if (!use_tiled(s)) return keys;
  return std::max(keys, tiled_scratch_floats(s.head_dim, std::min<int64_t>(kTiledTileHeads, s.n_heads / s.n_kv_heads)));
}

} // namespace lathe::kernels::avx512
