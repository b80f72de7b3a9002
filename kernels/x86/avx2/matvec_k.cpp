// Matrix-vector products for the 256-element K formats (Q4_K, Q5_K, Q6_K
// weights; Q8_K activations), AVX2.
//
// Data layout: W is rows of n / 256 super-blocks (GGUF order); x is n / 256
// Q8_K blocks (float d, 256 int8 codes, sums of the codes per 16).
//
// Accumulation, one row at a time, 32 elements per 256-bit register:
//   codes   the weight codes as unsigned bytes, in x's element order
//   pairs   vpmaddubsw(codes, x codes): 16 int16 sums of two products
//           (at most 2 * 63 * 128 in magnitude: never saturates)
//   scales  vpmaddwd(pairs, sub-block scale per int16 lane), added into int32
//           lanes: the integer sum over the super-block of scale * code * x, exact
//   minimum Q4_K / Q5_K: sum_s min_s * (x sums of sub-block s), from the
//           Q8_K bsums with one vpmaddwd; Q6_K's offset of 32 likewise as
//           32 * sum_s scale_s * bsum_s
// The super-block's integer sums then meet d * dx (and dmin * dx) in float.

#include "kernels/x86/intrinsics.h"

#include <cstdint>

#include "kernels/x86/avx2/avx2_kernels.h"
#include "kernels/x86/avx2/simd.h"
#include "kernels/x86/tiled_matmul.h"

namespace lathe::kernels::avx2 {
namespace {

// How far ahead of the current super-block to prefetch: rows are contiguous,
// so this runs into the next rows; about two memory latencies of reading.
constexpr int64_t kPrefetchBytes = 4096;

template <int kBytes>
inline void prefetch_span(const uint8_t* p) {
  for (int off = 0; off < kBytes + 63; off += 64) _mm_prefetch(reinterpret_cast<const char*>(p + off), _MM_HINT_T0);
}

// vpshufb control that fills the low 128-bit lane with int16 word `lo` and
// the high lane with word `hi` of the lane's eight words.
inline __m256i word_broadcast(int lo, int hi) {
  const int16_t l = static_cast<int16_t>((2 * lo) | (2 * lo + 1) << 8);
  const int16_t h = static_cast<int16_t>((2 * hi) | (2 * hi + 1) << 8);
  return _mm256_set_m128i(_mm_set1_epi16(h), _mm_set1_epi16(l));
}

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

// 16 where bit `bit` of qh[i] is set, for byte i; 0 elsewhere.
inline __m256i qh_bit(__m256i qh, int bit) {
  const __m256i moved = bit <= 4 ? _mm256_sll_epi16(qh, _mm_cvtsi32_si128(4 - bit))
                                 : _mm256_srl_epi16(qh, _mm_cvtsi32_si128(bit - 4));
  return _mm256_and_si256(moved, _mm256_set1_epi8(16)); // bit 4 of each byte, from the same byte
}

template <bool kFifthBit, class Block>
float dot_row_k_scale_min(const Block* __restrict w, const BlockQ8_K* __restrict x, int64_t nb) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  __m256 acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const Block& b = w[i];
    const BlockQ8_K& xb = x[i];
    prefetch_span<sizeof(Block)>(reinterpret_cast<const uint8_t*>(&b) + kPrefetchBytes);

    const ScaleMin sm = unpack_scale_min(b.scales);
    // scales as words, the same 8 in both 128-bit lanes
    const __m256i scales =
        _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales))));
    // mins as words, each twice: [m0, m0, m1, m1, ..., m7, m7] meets bsums[0..15]
    const __m128i mins8 = _mm_cvtsi64_si128(static_cast<int64_t>(sm.mins));
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));
    const __m256i min_sums = _mm256_madd_epi16(load256(xb.bsums), mins); // lane s: min_s * (bsum_2s + bsum_2s+1)

    __m256i qh;
    if constexpr (kFifthBit) qh = load256(b.qh);
    __m256i isum = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      // qs[32c .. 32c + 31]: low nibbles are sub-block 2c, high nibbles 2c + 1
      const __m256i v = load256(b.qs + 32 * c);
      __m256i lo = _mm256_and_si256(v, low4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
      if constexpr (kFifthBit) {
        lo = _mm256_or_si256(lo, qh_bit(qh, 2 * c));
        hi = _mm256_or_si256(hi, qh_bit(qh, 2 * c + 1));
      }
      const __m256i p_lo = _mm256_maddubs_epi16(lo, load256(xb.qs + 64 * c));
      const __m256i p_hi = _mm256_maddubs_epi16(hi, load256(xb.qs + 64 * c + 32));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p_lo, _mm256_shuffle_epi8(scales, word_broadcast(2 * c, 2 * c))));
      isum = _mm256_add_epi32(
          isum, _mm256_madd_epi16(p_hi, _mm256_shuffle_epi8(scales, word_broadcast(2 * c + 1, 2 * c + 1))));
    }
    const float d = f16_to_f32(b.d) * xb.d;
    const float dmin = f16_to_f32(b.dmin) * xb.d;
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d), acc);
    acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_sums), _mm256_set1_ps(dmin), acc_min);
  }
  return hsum(acc) - hsum(acc_min);
}

// --- Q6_K -------------------------------------------------------------------------

float dot_row_q6_k(const BlockQ6_K* __restrict w, const BlockQ8_K* __restrict x, int64_t nb) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_K& b = w[i];
    const BlockQ8_K& xb = x[i];
    prefetch_span<sizeof(BlockQ6_K)>(reinterpret_cast<const uint8_t*>(&b) + kPrefetchBytes);

    const __m256i sc16 = _mm256_cvtepi8_epi16(load128(b.scales));
    // scales 0..7 in both 128-bit lanes, and 8..15
    const __m256i sc_lo = _mm256_permute2x128_si256(sc16, sc16, 0x00);
    const __m256i sc_hi = _mm256_permute2x128_si256(sc16, sc16, 0x11);
    // The offset of 32: 32 * sum_s scale_s * bsum_s, taken off lane by lane.
    __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(),
                                    _mm256_slli_epi32(_mm256_madd_epi16(load256(xb.bsums), sc16), 5));

    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(b.ql + 64 * h);
      const __m256i ql1 = load256(b.ql + 64 * h + 32);
      const __m256i qh = load256(b.qh + 32 * h);
      // Elements 128h + 32j + i, j = 0..3: nibble of ql[64h + 32 (j & 1) + i]
      // (low for j < 2), high bits (qh[32h + i] >> 2j) & 3.
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
          _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, bits45)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                          _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
      };
      const __m256i& sc = h == 0 ? sc_lo : sc_hi;
      for (int j = 0; j < 4; ++j) {
        // 32 elements = sub-blocks 8h + 2j (low lane) and 8h + 2j + 1 (high lane)
        const __m256i pairs = _mm256_maddubs_epi16(q[j], load256(xb.qs + 128 * h + 32 * j));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_shuffle_epi8(sc, word_broadcast(2 * j, 2 * j + 1))));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(f16_to_f32(b.d) * xb.d), acc);
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

} // namespace lathe::kernels::avx2
