// Matrix-vector products for the 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0 weights; Q8_0 or Q8_1 activations), AVX2.
//
// Data layout: W is rows of n / 32 blocks (GGUF order); x is n / 32 Q8_0 or
// Q8_1 blocks. Every weight block starts with its f16 scale d.
//
// Accumulation: four rows at a time, one block per 256-bit register:
//   codes   the 32 weight codes in element order, as unsigned bytes for the
//           nibble formats (Q4_0 q + 8, Q5_0 q + 16, Q4_1 / Q5_1 as stored)
//   dot     vpmaddubsw(codes, x codes) then vpmaddwd with ones: 8 int32 lanes,
//           exact (at most 2 * 31 * 128 per int16 pair). Q8_0 weights are
//           signed: the sign moves onto x (vpsignb) and |w| is the unsigned side.
//   scale   the four rows' scales of a block pair come from one gather, are
//           converted from f16 together and multiplied by x's d's; each row
//           and block takes its lane with one permute: acc_r += float(dot) * dw * dx
//   bias    the unsigned offset b comes back once per block as
//           dw * (-b * dx * sum(x codes)); the minimum of Q4_1 / Q5_1 as
//           mw * sx. Both sit in one 8-lane register for the 4 rows.
// The x side (its d's and bias terms) is prepared once per call, for all rows.
// An odd last block goes through the scalar vec_dot.

#include "kernels/x86/intrinsics.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/scalar/scalar_kernels.h"
#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx2 {
namespace {

using ScalarDot = float (*)(const void* __restrict w, const void* __restrict x, int64_t n);

// --- Weight formats: the int32 dot of one block with 32 x codes ------------------

// 16 bytes of nibbles to [low nibbles (elements 0..15) | high nibbles (16..31)].
inline __m256i nibbles_32(const uint8_t* qs) {
  const __m128i v = load128(qs);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}

// 16 where bit j of the little-endian qh is set, for byte j; 0 elsewhere.
inline __m256i fifth_bits(const uint8_t* qh) {
  // byte j of the register holds qh byte j / 8, then is tested against bit j % 8
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(load_u32(qh))),
                                            _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                              0x0101010101010101, 0x0000000000000000));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(16));
}

inline __m256i sum_pairs(__m256i u8_codes, __m256i x) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u8_codes, x), _mm256_set1_epi16(1));
}

struct Q4_0Format {
  using Block = BlockQ4_0;
  static constexpr int kBias = 8;
  static constexpr bool kHasMin = false;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q4_0_q8_0;
  static __m256i dot(const uint8_t* b, __m256i x) { return sum_pairs(nibbles_32(b + offsetof(Block, qs)), x); }
};

struct Q4_1Format {
  using Block = BlockQ4_1;
  static constexpr int kBias = 0;
  static constexpr bool kHasMin = true;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q4_1_q8_1;
  static __m256i dot(const uint8_t* b, __m256i x) { return sum_pairs(nibbles_32(b + offsetof(Block, qs)), x); }
};

struct Q5_0Format {
  using Block = BlockQ5_0;
  static constexpr int kBias = 16;
  static constexpr bool kHasMin = false;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q5_0_q8_0;
  static __m256i dot(const uint8_t* b, __m256i x) {
    return sum_pairs(_mm256_or_si256(nibbles_32(b + offsetof(Block, qs)), fifth_bits(b + offsetof(Block, qh))), x);
  }
};

struct Q5_1Format {
  using Block = BlockQ5_1;
  static constexpr int kBias = 0;
  static constexpr bool kHasMin = true;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q5_1_q8_1;
  static __m256i dot(const uint8_t* b, __m256i x) {
    return sum_pairs(_mm256_or_si256(nibbles_32(b + offsetof(Block, qs)), fifth_bits(b + offsetof(Block, qh))), x);
  }
};

struct Q8_0Format {
  using Block = BlockQ8_0;
  static constexpr int kBias = 0;
  static constexpr bool kHasMin = false;
  static constexpr ScalarDot kScalar = scalar::vec_dot_q8_0_q8_0;
  static __m256i dot(const uint8_t* b, __m256i x) {
    const __m256i w = load256(b + offsetof(Block, qs));
    return sum_pairs(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)); // |w| * (x * sign(w))
  }
};

// --- The x side, once per call ------------------------------------------------

constexpr int64_t kChunkBlocks = 256; // the x terms of this many blocks live on the stack

// Per block b of the chunk: xd[b] = dx, xc[b] = the term that multiplies the
// weight's d (bias formats: -bias * dx * sum(qx)) or its m (Q8_1: sx).
template <class X, int kBias, bool kHasMin>
void prepare_x(const X* xb, int64_t nb, float* xd, float* xc) {
  for (int64_t b = 0; b < nb; ++b) {
    xd[b] = f16_to_f32(xb[b].d);
    if constexpr (kHasMin) {
      xc[b] = f16_to_f32(xb[b].s);
    } else if constexpr (kBias != 0) {
      const int sum = hsum_i32(sum_pairs(_mm256_set1_epi8(1), load256(xb[b].qs)));
      xc[b] = static_cast<float>(-kBias * sum) * xd[b];
    } else {
      xc[b] = 0.0f;
    }
  }
}

// --- Four rows, one column chunk ----------------------------------------------

// out[i] += dot(row i, x) over blocks [0, 2 * n_pairs) of the chunk.
template <class F, class X>
void rows4_chunk(const uint8_t* const rows[4], const X* __restrict xb, const float* __restrict xd,
                 const float* __restrict xc, int64_t n_pairs, int64_t prefetch_distance, float out[4]) {
  constexpr int kB = sizeof(typename F::Block);
  const auto off = [&](int i) { return static_cast<int>(rows[i] - rows[0]); };
  // Gather index of the 8 scales of a pair: [r0 A, r0 B, r1 A, r1 B, ...].
  const __m256i gather_idx = _mm256_setr_epi32(0, kB, off(1), off(1) + kB, off(2), off(2) + kB, off(3), off(3) + kB);

  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 acc_c = _mm256_setzero_ps(); // bias or minimum terms, lanes as the scales
  for (int64_t p = 0; p < n_pairs; ++p) {
    const int64_t pair_offset = p * 2 * kB;
    const __m256i xa = load256(xb[2 * p].qs);
    const __m256i xbv = load256(xb[2 * p + 1].qs);

    // The first 4 bytes of each block: d (and m for Q4_1 / Q5_1) in f16.
    const __m256i head = _mm256_i32gather_epi32(reinterpret_cast<const int*>(rows[0] + pair_offset), gather_idx, 1);
    // low halves of the 8 words: d
    const __m128i d16 = _mm_packus_epi32(_mm256_castsi256_si128(_mm256_and_si256(head, _mm256_set1_epi32(0xFFFF))),
                                         _mm256_extracti128_si256(_mm256_and_si256(head, _mm256_set1_epi32(0xFFFF)), 1));
    const __m256 dw = _mm256_cvtph_ps(d16);
    const __m256 dx = _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(xd + 2 * p)));
    if constexpr (F::kHasMin) {
      const __m256i m32 = _mm256_srli_epi32(head, 16);
      const __m256 mw = _mm256_cvtph_ps(_mm_packus_epi32(_mm256_castsi256_si128(m32), _mm256_extracti128_si256(m32, 1)));
      acc_c = _mm256_fmadd_ps(mw, _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(xc + 2 * p))),
                              acc_c);
    } else if constexpr (F::kBias != 0) {
      acc_c = _mm256_fmadd_ps(dw, _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(xc + 2 * p))),
                              acc_c);
    }
    const __m256 scale = _mm256_mul_ps(dw, dx);

    for (int i = 0; i < 4; ++i) {
      const uint8_t* a = rows[i] + pair_offset;
      _mm_prefetch(reinterpret_cast<const char*>(a + prefetch_distance), _MM_HINT_T0);
      const __m256 sa = _mm256_permutevar8x32_ps(scale, _mm256_set1_epi32(2 * i));
      const __m256 sb = _mm256_permutevar8x32_ps(scale, _mm256_set1_epi32(2 * i + 1));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(F::dot(a, xa)), sa, acc[i]);
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(F::dot(a + kB, xbv)), sb, acc[i]);
    }
  }
  alignas(32) float c[8];
  _mm256_store_ps(c, acc_c);
  for (int i = 0; i < 4; ++i) out[i] += hsum(acc[i]) + (c[2 * i] + c[2 * i + 1]);
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
  if (row_end <= row_begin) return;

  alignas(32) float xd[kChunkBlocks];
  alignas(32) float xc[kChunkBlocks];
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
      // With one chunk (n <= 8192) the x terms are prepared once per call.
      if (r == row_begin || even_blocks > kChunkBlocks) {
        prepare_x<X, F::kBias, F::kHasMin>(x + b0, chunk, xd, xc);
      }
      const uint8_t* chunk_rows[4];
      for (int i = 0; i < 4; ++i) chunk_rows[i] = rows[i] + b0 * static_cast<int64_t>(sizeof(Block));
      rows4_chunk<F, X>(chunk_rows, x + b0, xd, xc, chunk / 2, prefetch_distance, out);
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

} // namespace lathe::kernels::avx2
