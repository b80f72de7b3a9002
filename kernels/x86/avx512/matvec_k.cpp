// Matrix-vector products for the 256-element K formats (Q4_K, Q5_K, Q6_K
// weights; Q8_K activations), AVX-512 + VNNI.
//
// Data layout: W is rows of n / 256 super-blocks (GGUF order); x is n / 256
// Q8_K blocks (float d, 256 int8 codes, sums of the codes per 16).
//
// Accumulation, one row at a time, 64 elements per 512-bit register:
//   codes   the weight codes as unsigned bytes, in x's element order
//   pairs   vpmaddubsw(codes, x codes): 32 int16 sums of two products
//           (at most 2 * 63 * 128 in magnitude: never saturates)
//   scales  vpdpwssd(acc, pairs, sub-block scale per int16 lane): the
//           integer sum over the super-block of scale * code * x, exact
//   minimum Q4_K / Q5_K: sum_s min_s * (x sums of sub-block s), from the
//           Q8_K bsums with one vpmaddwd; Q6_K's offset of 32 likewise as
//           32 * sum_s scale_s * bsum_s
// The super-block's integer sums then meet d * dx (and dmin * dx) in float.
// Compared with the scalar reference, every super-block's integer sum is the
// same; the float sums over super-blocks run per lane.

#include "kernels/x86/intrinsics.h"

#include <cstdint>

#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx512 {
namespace {

// How far ahead of the current super-block to prefetch: rows are contiguous,
// so this runs into the next rows; about two memory latencies of reading.
constexpr int64_t kPrefetchBytes = 4096;

template <int kBytes>
inline void prefetch_span(const uint8_t* p) {
  for (int off = 0; off < kBytes + 63; off += 64) _mm_prefetch(reinterpret_cast<const char*>(p + off), _MM_HINT_T0);
}

// 256 bits of nibbles, [qs[0..31] | qs[0..31]] shifted by {0 | 4} and masked:
// the low nibbles (32 elements), then the high nibbles (the next 32).
inline __m512i nibbles_64(const uint8_t* qs) {
  const __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs)));
  return _mm512_and_si512(_mm512_srlv_epi64(v, _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)), _mm512_set1_epi8(0x0F));
}

inline __m512i load_x64(const int8_t* x) { return _mm512_loadu_si512(x); }

// --- Q4_K / Q5_K ----------------------------------------------------------------

// The eight 6-bit scales and mins of a Q4_K / Q5_K super-block, one byte each
// (layout in kernels/scalar/dequantize.cpp): with a, b, c the three 32-bit
// little-endian words of the 12 bytes,
//   scales 0..3 = a & 63 per byte, mins 0..3 = b & 63 per byte,
//   scales 4..7 = (c & 15) | (a >> 6) << 4, mins 4..7 = (c >> 4) | (b >> 6) << 4.
struct ScaleMin {
  uint64_t scales;
  uint64_t mins;
};
inline ScaleMin unpack_scale_min(const uint8_t* s) {
  const uint32_t a = load_u32(s);
  const uint32_t b = load_u32(s + 4);
  const uint32_t c = load_u32(s + 8);
  const uint32_t sc_hi = (c & 0x0F0F0F0Fu) | ((a >> 6) & 0x03030303u) << 4;
  const uint32_t mn_hi = ((c >> 4) & 0x0F0F0F0Fu) | ((b >> 6) & 0x03030303u) << 4;
  return {(a & 0x3F3F3F3Fu) | uint64_t{sc_hi} << 32, (b & 0x3F3F3F3Fu) | uint64_t{mn_hi} << 32};
}

// Sub-blocks of 32 for chunk c (64 elements): sub-block 2c on int16 lanes
// 0..15, 2c + 1 on lanes 16..31. vpshufb picks word 2c resp. 2c + 1 from the
// eight scale words broadcast to every 128-bit lane.
inline __m512i k_scale_shuffle(int c) {
  const char lo = static_cast<char>(4 * c);
  const char hi = static_cast<char>(4 * c + 2);
  return _mm512_set_epi8(hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi,
                         hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi,
                         lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo,
                         lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo);
}

// Fifth bits of Q5_K chunk c: bit 2c of qh[i] for element 64c + i, bit 2c + 1
// for element 64c + 32 + i.
inline __m512i q5k_bit_select(int c) {
  return _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                            _mm256_set1_epi8(static_cast<char>(1 << (2 * c + 1))), 1);
}

template <bool kFifthBit, class Block>
float dot_row_k_scale_min(const Block* __restrict w, const BlockQ8_K* __restrict x, int64_t nb) {
  const __m512i shuffle[4] = {k_scale_shuffle(0), k_scale_shuffle(1), k_scale_shuffle(2), k_scale_shuffle(3)};
  __m512 acc = _mm512_setzero_ps();
  __m256 acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const Block& b = w[i];
    const BlockQ8_K& xb = x[i];
    prefetch_span<sizeof(Block)>(reinterpret_cast<const uint8_t*>(&b) + kPrefetchBytes);

    const ScaleMin sm = unpack_scale_min(b.scales);
    // scales as words, the same 8 in every 128-bit lane
    const __m512i scales = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales))));
    // mins as words, each twice: [m0, m0, m1, m1, ..., m7, m7] meets bsums[0..15]
    const __m128i mins8 = _mm_cvtsi64_si128(static_cast<int64_t>(sm.mins));
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));
    const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums));
    const __m256i min_sums = _mm256_madd_epi16(bsums, mins); // lane s: min_s * (bsum_2s + bsum_2s+1)

    __m512i isum = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      __m512i q = nibbles_64(b.qs + 32 * c);
      if constexpr (kFifthBit) {
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh)));
        const __mmask64 high = _mm512_test_epi8_mask(qh, q5k_bit_select(c));
        q = _mm512_mask_add_epi8(q, high, q, _mm512_set1_epi8(16));
      }
      const __m512i pairs = _mm512_maddubs_epi16(q, load_x64(xb.qs + 64 * c));
      isum = _mm512_dpwssd_epi32(isum, pairs, _mm512_shuffle_epi8(scales, shuffle[c]));
    }
    const float d = f16_to_f32(b.d) * xb.d;
    const float dmin = f16_to_f32(b.dmin) * xb.d;
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), acc);
    acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_sums), _mm256_set1_ps(dmin), acc_min);
  }
  return hsum(acc) - hsum(acc_min);
}

// --- Q6_K -------------------------------------------------------------------------

// Int16 lane j of the scale vector for codes register k (elements 64k ..
// 64k + 63, sub-blocks of 16): scale 4k + j / 8.
inline __m512i q6k_scale_index(int k) {
  alignas(64) int16_t idx[32];
  for (int j = 0; j < 32; ++j) idx[j] = static_cast<int16_t>(4 * k + j / 8);
  return _mm512_load_si512(idx);
}

float dot_row_q6_k(const BlockQ6_K* __restrict w, const BlockQ8_K* __restrict x, int64_t nb) {
  const __m512i scale_index[4] = {q6k_scale_index(0), q6k_scale_index(1), q6k_scale_index(2), q6k_scale_index(3)};
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  // qh bits to bit positions 4..5: elements 0..31 of a half take qh bits 0..1
  // (shift left 4), elements 32..63 bits 2..3 (left 2), 64..95 bits 4..5
  // (none), 96..127 bits 6..7 (right 2).
  const __m512i shl_lo = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);
  const __m512i shr_hi = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);
  constexpr int kOr = 0xEA; // vpternlog: (a & b) | c

  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_K& b = w[i];
    const BlockQ8_K& xb = x[i];
    prefetch_span<sizeof(BlockQ6_K)>(reinterpret_cast<const uint8_t*>(&b) + kPrefetchBytes);

    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    const __m512i scales = _mm512_castsi256_si512(sc16);
    // The offset of 32: 32 * sum_s scale_s * bsum_s, taken off lane by lane.
    const __m256i offset = _mm256_slli_epi32(
        _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums)), sc16), 5);
    __m512i isum = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(offset));

    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h)));
      // elements 128h + 0..63: low nibbles of ql, qh bits 0..1 / 2..3
      const __m512i q0 = _mm512_ternarylogic_epi64(
          ql, low4, _mm512_and_si512(_mm512_sllv_epi64(qh, shl_lo), bits45), kOr);
      // elements 128h + 64..127: high nibbles of ql, qh bits 4..5 / 6..7
      const __m512i q1 = _mm512_ternarylogic_epi64(
          _mm512_srli_epi16(ql, 4), low4, _mm512_and_si512(_mm512_srlv_epi64(qh, shr_hi), bits45), kOr);
      const __m512i p0 = _mm512_maddubs_epi16(q0, load_x64(xb.qs + 128 * h));
      const __m512i p1 = _mm512_maddubs_epi16(q1, load_x64(xb.qs + 128 * h + 64));
      isum = _mm512_dpwssd_epi32(isum, p0, _mm512_permutexvar_epi16(scale_index[2 * h], scales));
      isum = _mm512_dpwssd_epi32(isum, p1, _mm512_permutexvar_epi16(scale_index[2 * h + 1], scales));
    }
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(f16_to_f32(b.d) * xb.d), acc);
  }
  return hsum(acc);
}

// --- Row loops --------------------------------------------------------------------

template <class Block, float (*Dot)(const Block* __restrict, const BlockQ8_K* __restrict, int64_t)>
void matvec_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n, int64_t row_begin,
              int64_t row_end) {
  const int64_t nb = n / kQKK;
  const auto* rows = static_cast<const Block*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xq);
  for (int64_t r = row_begin; r < row_end; ++r) y[r] = Dot(rows + r * nb, x, nb);
}

} // namespace

void matvec_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_k<BlockQ4_K, dot_row_k_scale_min<false, BlockQ4_K>>(w, xq, y, n, row_begin, row_end);
}
void matvec_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_k<BlockQ5_K, dot_row_k_scale_min<true, BlockQ5_K>>(w, xq, y, n, row_begin, row_end);
}
void matvec_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t row_begin, int64_t row_end) {
  matvec_k<BlockQ6_K, dot_row_q6_k>(w, xq, y, n, row_begin, row_end);
}

using A = ActivationType;

void matmul_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q4_k_q8_k, A::kQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQKK * sizeof(BlockQ4_K));
}
void matmul_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q5_k_q8_k, A::kQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQKK * sizeof(BlockQ5_K));
}
void matmul_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                      int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  x86::matmul_by_row_tiles<matvec_q6_k_q8_k, A::kQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end,
                                                        n / kQKK * sizeof(BlockQ6_K));
}

} // namespace lathe::kernels::avx512
