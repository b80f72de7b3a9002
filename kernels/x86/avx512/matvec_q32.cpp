// Matrix-vector products for the 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0 weights; Q8_0 or Q8_1 activations), AVX-512 + VNNI.
//
// Data layout: W is rows of n / 32 blocks (GGUF order); x is n / 32 Q8_0 or
// Q8_1 blocks. Every weight block starts with its f16 scale d.
//
// Accumulation: four rows at a time. Q8_0 takes two blocks (A, B) per
// 512-bit register (rows4_chunk); the nibble formats four blocks, one per
// 128-bit lane (rows4_quads), and a last pair of blocks the Q8_0 way:
//   codes   unsigned bytes: Q4_0 q + 8, Q5_0 q + 16, Q8_0 q + 128 (a xor
//           with 0x80), Q4_1 / Q5_1 as stored; the fifth bits of Q5_0 / Q5_1
//           added from their qh words through a 64-bit mask
//   dot     vpdpbusd(codes, x codes) into int32 lanes, exact: 8 lanes per
//           block in a pair, 4 per block in a quad
//   scale   the four rows' d's of a pair (8) or quad (16) come from one
//           gather, are converted from f16 together, multiplied by x's d's,
//           and spread to each row's lanes with one permute:
//           acc_r += float(dot) * (dw * dx)
//   bias    the unsigned offset b comes back once per block as
//           dw * (-b * dx * sum(x codes)); the minimum of Q4_1 / Q5_1 as
//           mw * sx. Both terms sit in one register for the 4 rows.
// The x side (its d's and bias terms, and for quads its codes regrouped by
// half block) is prepared once per call, for all rows. An odd last block
// goes through the scalar vec_dot.
//
// Compared with the scalar reference, the integer dot of each block is
// exact; the float sums run in another order (per lane, then across lanes).

#include "kernels/x86/intrinsics.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx512 {
namespace {

using ScalarDot = float (*)(const void* __restrict w, const void* __restrict x, int64_t n);

// --- Weight formats: unsigned codes of a block pair -------------------------

// [A.qs | A.qs | B.qs | B.qs] shifted by {0, 4, 0, 4} per 128-bit lane and
// masked: [A lo nibbles (elements 0..15), A hi (16..31), B lo, B hi].
inline __m512i nibble_pair(const uint8_t* qs_a, const uint8_t* qs_b) {
  __m512i v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs_a)));
  v = _mm512_mask_broadcast_i32x4(v, 0xFF00, _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs_b)));
  const __m512i shift = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
  return _mm512_and_si512(_mm512_srlv_epi64(v, shift), _mm512_set1_epi8(0x0F));
}

// Adds 16 to the bytes whose fifth bit is set: bit j of A's qh is byte j,
// bit j of B's qh is byte 32 + j.
inline __m512i add_fifth_bits(__m512i q, const uint8_t* qh_a, const uint8_t* qh_b) {
  const __mmask64 k = _cvtu64_mask64(uint64_t{load_u32(qh_a)} | uint64_t{load_u32(qh_b)} << 32);
  return _mm512_mask_add_epi8(q, k, q, _mm512_set1_epi8(16));
}

struct Q4_0Format {
  using Block = BlockQ4_0;
  static constexpr int kBias = 8;
  static constexpr bool kHasMin = false;
  static constexpr int kQs = offsetof(Block, qs); // nibble formats: four blocks per pass (rows4_quads)
  static constexpr int kQh = -1;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q4_0_q8_0;
  static __m512i codes(const uint8_t* a, const uint8_t* b) {
    return nibble_pair(a + offsetof(Block, qs), b + offsetof(Block, qs));
  }
};

struct Q4_1Format {
  using Block = BlockQ4_1;
  static constexpr int kBias = 0;
  static constexpr bool kHasMin = true;
  static constexpr int kQs = offsetof(Block, qs);
  static constexpr int kQh = -1;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q4_1_q8_1;
  static __m512i codes(const uint8_t* a, const uint8_t* b) {
    return nibble_pair(a + offsetof(Block, qs), b + offsetof(Block, qs));
  }
};

struct Q5_0Format {
  using Block = BlockQ5_0;
  static constexpr int kBias = 16;
  static constexpr bool kHasMin = false;
  static constexpr int kQs = offsetof(Block, qs);
  static constexpr int kQh = offsetof(Block, qh);
  static constexpr ScalarDot kScalar = scalar::vec_dot_q5_0_q8_0;
  static __m512i codes(const uint8_t* a, const uint8_t* b) {
    const __m512i q = nibble_pair(a + offsetof(Block, qs), b + offsetof(Block, qs));
    return add_fifth_bits(q, a + offsetof(Block, qh), b + offsetof(Block, qh));
  }
};

struct Q5_1Format {
  using Block = BlockQ5_1;
  static constexpr int kBias = 0;
  static constexpr bool kHasMin = true;
  static constexpr int kQs = offsetof(Block, qs);
  static constexpr int kQh = offsetof(Block, qh);
  static constexpr ScalarDot kScalar = scalar::vec_dot_q5_1_q8_1;
  static __m512i codes(const uint8_t* a, const uint8_t* b) {
    const __m512i q = nibble_pair(a + offsetof(Block, qs), b + offsetof(Block, qs));
    return add_fifth_bits(q, a + offsetof(Block, qh), b + offsetof(Block, qh));
  }
};

struct Q8_0Format {
  using Block = BlockQ8_0;
  static constexpr int kBias = 128;
  static constexpr bool kHasMin = false;
  static constexpr int kQs = -1; // not nibbles: pairs only
  static constexpr int kQh = -1;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q8_0_q8_0;
  static __m512i codes(const uint8_t* a, const uint8_t* b) {
    const __m512i v = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + offsetof(Block, qs)))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + offsetof(Block, qs))), 1);
    return _mm512_xor_si512(v, _mm512_set1_epi8(static_cast<char>(0x80))); // q + 128 as an unsigned byte
  }
};

// --- The x side, once per call ------------------------------------------------

// Column chunk: the x terms of this many blocks live on the stack.
constexpr int64_t kChunkBlocks = 256;

// Per block b of the chunk: xd[b] = dx, xc[b] = the term that multiplies the
// weight's d (bias formats: -bias * dx * sum(qx)) or its m (Q8_1: sx).
template <class X, int kBias>
void prepare_x(const X* xb, int64_t nb, float* xd, float* xc) {
  for (int64_t b = 0; b < nb; ++b) {
    xd[b] = f16_to_f32(xb[b].d);
    if constexpr (kBias == 0) {
      xc[b] = f16_to_f32(xb[b].s);
    } else {
      // Sum of the 32 codes: vpdpbusd against bytes of 1, then a reduction.
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[b].qs));
      const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), q);
      __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
      t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));   // t[0:2] += t[2:4]
      t = _mm_add_epi32(t, _mm_srli_epi64(t, 32));      // t[0] += t[1]
      xc[b] = static_cast<float>(-kBias * _mm_cvtsi128_si32(t)) * xd[b];
    }
  }
}

// The lane sums of four accumulators: [sum(a[0]), sum(a[1]), sum(a[2]), sum(a[3])].
inline __m128 hsum4(const __m512 a[4]) {
  // per 128-bit lane: [a0_0 + a0_2, a1_0 + a1_2, a0_1 + a0_3, a1_1 + a1_3], likewise a2, a3
  const __m512 t01 = _mm512_add_ps(_mm512_unpacklo_ps(a[0], a[1]), _mm512_unpackhi_ps(a[0], a[1]));
  const __m512 t23 = _mm512_add_ps(_mm512_unpacklo_ps(a[2], a[3]), _mm512_unpackhi_ps(a[2], a[3]));
  // per 128-bit lane: that lane's sums of a0, a1, a2, a3
  const __m512 u = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t01), _mm512_castps_pd(t23))),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t01), _mm512_castps_pd(t23))));
  const __m256 v = _mm256_add_ps(_mm512_castps512_ps256(u), _mm512_extractf32x8_ps(u, 1));
  return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
}

// --- Four rows, one column chunk ----------------------------------------------

// out[i] += dot(row i, x) over blocks [0, 2 * n_pairs) of the chunk. The rows
// are addressed by their distance from rows[0] (a gather index, < 2^31).
template <class F, class X>
void rows4_chunk(const uint8_t* const rows[4], const X* __restrict xb, const float* __restrict xd,
                 const float* __restrict xc, int64_t n_pairs, int64_t prefetch_distance, float out[4]) {
  constexpr int kB = sizeof(typename F::Block);
  // Gather index of the 8 scales of a pair: [r0 A, r0 B, r1 A, r1 B, ...].
  const auto off = [&](int i) { return static_cast<int>(rows[i] - rows[0]); };
  const __m256i gather_idx = _mm256_setr_epi32(0, kB, off(1), off(1) + kB, off(2), off(2) + kB, off(3), off(3) + kB);
  // Lanes of row i in the 8-lane scale vector: 2i for block A, 2i + 1 for B.
  const __m512i spread[4] = {
      _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
      _mm512_set_epi32(5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
      _mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6),
  };

  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  __m256 acc_c = _mm256_setzero_ps(); // bias or minimum terms, lanes as the scales
  for (int64_t p = 0; p < n_pairs; ++p) {
    const int64_t pair_offset = p * 2 * kB;
    // x codes of blocks 2p and 2p + 1, one per 256-bit half.
    const __m512i xv = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[2 * p].qs))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[2 * p + 1].qs)), 1);

    // The first 4 bytes of each block: d (and m for Q4_1 / Q5_1) in f16.
    const __m256i head = _mm256_i32gather_epi32(reinterpret_cast<const int*>(rows[0] + pair_offset), gather_idx, 1);
    const __m256 dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(head)); // low halves: d
    const __m256 dx = _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(xd + 2 * p)));
    const __m256 cx = _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(xc + 2 * p)));
    if constexpr (F::kHasMin) {
      const __m256 mw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_srli_epi32(head, 16))); // high halves: m
      acc_c = _mm256_fmadd_ps(mw, cx, acc_c);
    } else if constexpr (F::kBias != 0) {
      acc_c = _mm256_fmadd_ps(dw, cx, acc_c);
    }
    const __m512 scale = _mm512_castps256_ps512(_mm256_mul_ps(dw, dx)); // upper half unused

    for (int i = 0; i < 4; ++i) {
      const uint8_t* a = rows[i] + pair_offset;
      _mm_prefetch(reinterpret_cast<const char*>(a + prefetch_distance), _MM_HINT_T0);
      const __m512i q = F::codes(a, a + kB);
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, xv);
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(spread[i], scale), acc[i]);
    }
  }
  // acc_c lanes 2i, 2i + 1 belong to row i
  const __m256 c2 = _mm256_add_ps(acc_c, _mm256_permute_ps(acc_c, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m128 c = _mm256_castps256_ps128(_mm256_permutevar8x32_ps(c2, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
  _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), _mm_add_ps(hsum4(acc), c)));
}

// --- Nibble formats: four rows, four blocks per pass ----------------------------
//
// One 512-bit register per row holds the 16 code bytes of four blocks (A, B,
// C, D), one per 128-bit lane; its low nibbles meet x's elements 0..15 of the
// four blocks and its high nibbles elements 16..31 (x rearranged so, once per
// call), both into the same int32 lanes: lanes 4j..4j + 3 belong to block j.
// Against the pair layout this halves the scale work per block (convert,
// permute, multiply-add cover four blocks) and needs no variable shift.

// x codes of four blocks: lo = elements 0..15 of each, hi = elements 16..31.
template <class X>
void prepare_x_quads(const X* xb, int64_t n_quads, int8_t* lo, int8_t* hi) {
  for (int64_t q = 0; q < n_quads; ++q) {
    for (int j = 0; j < 4; ++j) {
      std::memcpy(lo + 64 * q + 16 * j, xb[4 * q + j].qs, 16);
      std::memcpy(hi + 64 * q + 16 * j, xb[4 * q + j].qs + 16, 16);
    }
  }
}

// 16 fifth bits of each of four blocks (bit half 0: elements 0..15, 1: 16..31)
// as one 64-bit mask, block j in bits 16j..16j + 15.
inline __mmask64 fifth_bits_quad(const uint8_t* a, int block_bytes, int half) {
  uint64_t m = 0;
  for (int j = 0; j < 4; ++j) m |= uint64_t{load_u16(a + j * block_bytes + 2 * half)} << (16 * j);
  return _cvtu64_mask64(m);
}

// out[i] += dot(row i, x) over blocks [0, 4 * n_quads) of the chunk.
template <class F>
void rows4_quads(const uint8_t* const rows[4], const int8_t* __restrict x_lo, const int8_t* __restrict x_hi,
                 const float* __restrict xd, const float* __restrict xc, int64_t n_quads, int64_t prefetch_distance,
                 float out[4]) {
  constexpr int kB = sizeof(typename F::Block);
  const auto off = [&](int i, int j) { return static_cast<int>(rows[i] - rows[0]) + j * kB; };
  // Gather index of the 16 scales of a quad: row i, block j at lane 4i + j.
  const __m512i gather_idx = _mm512_setr_epi32(off(0, 0), off(0, 1), off(0, 2), off(0, 3), off(1, 0), off(1, 1),
                                               off(1, 2), off(1, 3), off(2, 0), off(2, 1), off(2, 2), off(2, 3),
                                               off(3, 0), off(3, 1), off(3, 2), off(3, 3));
  // Row i's four scales, each over the four int32 lanes of its block.
  const __m512i spread[4] = {
      _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0),
      _mm512_set_epi32(7, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4),
      _mm512_set_epi32(11, 11, 11, 11, 10, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8),
      _mm512_set_epi32(15, 15, 15, 15, 14, 14, 14, 14, 13, 13, 13, 13, 12, 12, 12, 12),
  };
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i sixteen = _mm512_set1_epi8(16);

  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  __m512 acc_c = _mm512_setzero_ps(); // bias or minimum terms, lanes as the scales
  for (int64_t q = 0; q < n_quads; ++q) {
    const int64_t quad_offset = q * 4 * kB;
    const __m512i xl = _mm512_loadu_si512(x_lo + 64 * q);
    const __m512i xh = _mm512_loadu_si512(x_hi + 64 * q);

    // The first 4 bytes of each block: d (and m for Q4_1 / Q5_1) in f16.
    const __m512i head = _mm512_i32gather_epi32(gather_idx, rows[0] + quad_offset, 1);
    const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head)); // low halves: d
    const __m512 dx = _mm512_broadcast_f32x4(_mm_loadu_ps(xd + 4 * q)); // the four blocks' dx, for every row
    const __m512 cx = _mm512_broadcast_f32x4(_mm_loadu_ps(xc + 4 * q));
    if constexpr (F::kHasMin) {
      const __m512 mw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16))); // high halves: m
      acc_c = _mm512_fmadd_ps(mw, cx, acc_c);
    } else {
      acc_c = _mm512_fmadd_ps(dw, cx, acc_c);
    }
    const __m512 scale = _mm512_mul_ps(dw, dx);

    for (int i = 0; i < 4; ++i) {
      const uint8_t* a = rows[i] + quad_offset;
      _mm_prefetch(reinterpret_cast<const char*>(a + prefetch_distance), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(a + prefetch_distance + 64), _MM_HINT_T0);
      // [A.qs | B.qs | C.qs | D.qs]: a broadcast, then three merging broadcasts
      __m512i v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + F::kQs)));
      v = _mm512_mask_broadcast_i32x4(v, 0x00F0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + kB + F::kQs)));
      v = _mm512_mask_broadcast_i32x4(v, 0x0F00, _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 2 * kB + F::kQs)));
      v = _mm512_mask_broadcast_i32x4(v, 0xF000, _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 3 * kB + F::kQs)));
      __m512i lo = _mm512_and_si512(v, low4);
      __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      if constexpr (F::kQh >= 0) {
        lo = _mm512_mask_add_epi8(lo, fifth_bits_quad(a + F::kQh, kB, 0), lo, sixteen);
        hi = _mm512_mask_add_epi8(hi, fifth_bits_quad(a + F::kQh, kB, 1), hi, sixteen);
      }
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, xl), hi, xh);
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(spread[i], scale), acc[i]);
    }
  }
  // acc_c lanes 4i .. 4i + 3 (128-bit lane i) belong to row i
  __m512 c4 = _mm512_add_ps(acc_c, _mm512_permute_ps(acc_c, _MM_SHUFFLE(2, 3, 0, 1)));
  c4 = _mm512_add_ps(c4, _mm512_permute_ps(c4, _MM_SHUFFLE(1, 0, 3, 2)));
  const __m128 c = _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), c4));
  _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), _mm_add_ps(hsum4(acc), c)));
}

// y[r] for r in [row_begin, row_end): four rows at a time; a last group of
// fewer than four rows repeats its last row (the repeats write equal values).
template <class F, class X>
void matvec_q32(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                int64_t row_begin, int64_t row_end) {
  using Block = typename F::Block;
  const int64_t nb = n / kQK;
  const int64_t row_bytes = nb * static_cast<int64_t>(sizeof(Block));
  const auto* base = static_cast<const uint8_t*>(w);
  const auto* x = static_cast<const X*>(xq);
  const int64_t n_rows = row_end - row_begin;
  if (n_rows <= 0) return;

  alignas(64) float xd[kChunkBlocks];
  alignas(64) float xc[kChunkBlocks];
  alignas(64) int8_t x_lo[kChunkBlocks * 16]; // nibble formats: x rearranged for rows4_quads
  alignas(64) int8_t x_hi[kChunkBlocks * 16];
  constexpr bool kQuads = F::kQs >= 0;
  const int64_t even_blocks = nb & ~int64_t{1};
  // Prefetch the same place in the rows of a later group, at least 4 KiB on
  // (rows are contiguous): about two memory latencies of reading at full speed.
  const int64_t prefetch_distance = std::max<int64_t>(4 * row_bytes, 4096);

  for (int64_t r = row_begin; r < row_end; r += 4) {
    const uint8_t* rows[4];
    int64_t idx[4];
    for (int i = 0; i < 4; ++i) {
      idx[i] = std::min(r + i, row_end - 1);
      rows[i] = base + idx[i] * row_bytes;
    }
    float out[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t b0 = 0; b0 < even_blocks; b0 += kChunkBlocks) {
      const int64_t chunk = std::min(kChunkBlocks, even_blocks - b0);
      // The x terms depend on the chunk only; with one chunk (n <= 8192) they
      // are prepared once per call.
      const int64_t quads = kQuads ? chunk / 4 : 0; // then at most one pair
      if (r == row_begin || even_blocks > kChunkBlocks) {
        prepare_x<X, F::kBias>(x + b0, chunk, xd, xc);
        if (kQuads) prepare_x_quads(x + b0, quads, x_lo, x_hi);
      }
      const uint8_t* chunk_rows[4];
      for (int i = 0; i < 4; ++i) chunk_rows[i] = rows[i] + b0 * static_cast<int64_t>(sizeof(Block));
      if (quads > 0) rows4_quads<F>(chunk_rows, x_lo, x_hi, xd, xc, quads, prefetch_distance, out);
      const int64_t done = 4 * quads;
      if (done < chunk) {
        for (int i = 0; i < 4; ++i) chunk_rows[i] += done * static_cast<int64_t>(sizeof(Block));
        rows4_chunk<F, X>(chunk_rows, x + b0 + done, xd + done, xc + done, (chunk - done) / 2, prefetch_distance, out);
      }
    }
    if (nb != even_blocks) {
      for (int i = 0; i < 4; ++i) out[i] += F::kScalar(rows[i] + even_blocks * sizeof(Block), x + even_blocks, kQK);
    }
    for (int i = 0; i < 4; ++i) y[idx[i]] = out[i];
  }
}

} // namespace

void matvec_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_q32<Q4_0Format, BlockQ8_0>(w, xq, y, n, row_begin, row_end);
}
void matvec_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_q32<Q4_1Format, BlockQ8_1>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_q32<Q5_0Format, BlockQ8_0>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_q32<Q5_1Format, BlockQ8_1>(w, xq, y, n, row_begin, row_end);
}
void matvec_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_q32<Q8_0Format, BlockQ8_0>(w, xq, y, n, row_begin, row_end);
}

using A = ActivationType;

void matmul_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q4_0_q8_0, A::kQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQK * sizeof(BlockQ4_0));
}
void matmul_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q4_1_q8_1, A::kQ8_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQK * sizeof(BlockQ4_1));
}
void matmul_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q5_0_q8_0, A::kQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQK * sizeof(BlockQ5_0));
}
void matmul_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q5_1_q8_1, A::kQ8_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQK * sizeof(BlockQ5_1));
}
void matmul_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q8_0_q8_0, A::kQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQK * sizeof(BlockQ8_0));
}

} // namespace lathe::kernels::avx512
