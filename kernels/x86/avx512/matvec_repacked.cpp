// Matrix-vector products on interleaved ("repacked") layouts of the
// 32-element formats, AVX-512 + VNNI, with the layouts' repack and unrepack
// functions (kernels/kernel_table.h, RepackedLayout). The layouts belong to
// these kernels: nothing else reads them.
//
// Layout "x4": the rows are cut into groups of 4; a last group of fewer rows
// is padded with copies of the matrix's last row (the kernel never writes the
// padding's results). Group g holds rows 4g .. 4g + 3 as consecutive
// sections, nb = n / 32 blocks per row:
//   d    f16 [nb][4]     the scale of block b of row r at 4b + r
//   m    f16 [nb][4]     Q4_1 only: the minimums, as d
//   qh   u64 [nb][2]     Q5_0 only: the fifth bits, one mask per half block;
//                        bit p belongs to code byte p below
//   qs   int8 layouts: u8 [nb][2][64]; nibble layouts: u8 [nb][64]
// A half block h is elements 16h .. 16h + 15; its 64 code bytes for the 4
// rows are ordered so that byte p = 16i + 4r + k holds element 16h + 4i + k
// of row r. Each int32 lane of a vpdpbusd (4 bytes) thus belongs to one row,
// and lane 4i + r sums row r's elements 16h + 4i .. 16h + 4i + 3.
//   q8_0x4       Q8_0, byte = q + 128 (the xor the plain kernel does per
//                load is done at repack time)
//   q4_0x4       Q4_0, byte p: low nibble = half 0's code, high nibble = half
//                1's: it is row r's GGUF qs byte 4i + k, moved
//   q4_1x4       Q4_1, as q4_0x4, plus m
//   q5_0x4       Q5_0, as q4_0x4, plus qh
//   q5_0x4_int8  Q5_0 with its fifth bits merged at repack time: the q8_0x4
//                layout with byte = (q - 16) + 128; 34 bytes a block instead
//                of 22, and no mask work in the kernel
// Every layout but q5_0x4_int8 takes exactly the bytes of its GGUF rows
// (4 * nb * sizeof(block) per group).
//
// Accumulation, one group at a time (kGroupsPerPass): x's 32 codes of a block
// are spread to the same order with one vpermd per half block (x's 4-byte
// group i repeated for the 4 rows), so a block of the group is 2 vpdpbusd
// into one int32 vector whose lane 4i + r belongs to row r; no gather, no
// permute of weight codes. The d's of 4 blocks x 4 rows come from one 32-byte
// load and one conversion (lane 4j + r: block j, row r), times x's d's laid
// out alike once per call; block j's 4 scales are spread to every 128-bit lane
// with one permute: acc_j += float(dot) * scale. The unsigned offset of the
// codes (8, 16, 128) comes back once per 4 blocks as
// dw * (-offset * dx * sum(x codes)), the minimum of Q4_1 as mw * sx, in the
// same lanes. Row r's result is the sum of lanes r, r + 4, r + 8, r + 12.
//
// Compared with the scalar reference, the integer dot of each block is exact;
// the float sums run in another order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/simd.h"
#include "kernels/x86/intrinsics.h"

namespace lathe::kernels::avx512 {
namespace {

constexpr int kGroupRows = 4;
// Column chunk: x's d and offset terms for this many blocks live on the stack (8 KiB).
constexpr int64_t kChunkBlocks = 256;
// Software prefetch distance along each section of a group (a group is read
// front to back; the hardware prefetcher stops at 4 KiB pages).
constexpr int64_t kPrefetchBytes = 4096;
// Groups per pass, sharing x's loads. Two measured slower than one on the
// shapes of the benchmarks (896 x 4864 Q8_0 from L3: about 0.85x), so one.
constexpr int kGroupsPerPass = 1;

// --- The formats ---------------------------------------------------------------
//
// Block: the GGUF block; X: the activation block; kInt8: codes one byte each
// (else nibbles); kQh / kMin: the qh / m sections; kBias: the unsigned offset
// of the stored codes; code(): the unsigned code of element e of a block
// (Q8_0: q + 128, Q4: the nibble, Q5_0: five bits); kShift: added to code()
// in an int8 layout; set_code(): its inverse, for unrepack.

struct Q8_0x4 {
  using Block = BlockQ8_0;
  using X = BlockQ8_0;
  static constexpr bool kInt8 = true, kQh = false, kMin = false;
  static constexpr int kBias = 128, kShift = 0;
  static int code(const Block& b, int e) { return static_cast<uint8_t>(b.qs[e]) ^ 0x80; }
  static void set_code(Block& b, int e, int c) {
    b.qs[e] = static_cast<int8_t>(static_cast<uint8_t>(c ^ 0x80));
  }
};

struct Q4_0x4 {
  using Block = BlockQ4_0;
  using X = BlockQ8_0;
  static constexpr bool kInt8 = false, kQh = false, kMin = false;
  static constexpr int kBias = 8, kShift = 0;
  static int code(const Block& b, int e) { return e < 16 ? b.qs[e] & 0x0F : b.qs[e - 16] >> 4; }
  static void set_code(Block& b, int e, int c) {
    uint8_t& q = b.qs[e % 16];
    q = e < 16 ? static_cast<uint8_t>((q & 0xF0) | c) : static_cast<uint8_t>((q & 0x0F) | (c << 4));
  }
};

struct Q4_1x4 {
  using Block = BlockQ4_1;
  using X = BlockQ8_1;
  static constexpr bool kInt8 = false, kQh = false, kMin = true;
  static constexpr int kBias = 0, kShift = 0;
  static int code(const Block& b, int e) { return e < 16 ? b.qs[e] & 0x0F : b.qs[e - 16] >> 4; }
  static void set_code(Block& b, int e, int c) {
    uint8_t& q = b.qs[e % 16];
    q = e < 16 ? static_cast<uint8_t>((q & 0xF0) | c) : static_cast<uint8_t>((q & 0x0F) | (c << 4));
  }
};

struct Q5_0x4 {
  using Block = BlockQ5_0;
  using X = BlockQ8_0;
  static constexpr bool kInt8 = false, kQh = true, kMin = false;
  static constexpr int kBias = 16, kShift = 0;
  static int code(const Block& b, int e) {
    const int lo = e < 16 ? b.qs[e] & 0x0F : b.qs[e - 16] >> 4;
    return lo | ((b.qh[e / 8] >> (e % 8)) & 1) << 4;
  }
  static void set_code(Block& b, int e, int c) {
    uint8_t& q = b.qs[e % 16];
    q = e < 16 ? static_cast<uint8_t>((q & 0xF0) | (c & 0x0F))
               : static_cast<uint8_t>((q & 0x0F) | ((c & 0x0F) << 4));
    b.qh[e / 8] = static_cast<uint8_t>((b.qh[e / 8] & ~(1 << (e % 8))) | ((c >> 4) & 1) << (e % 8));
  }
};

// Q5_0 stored as the q8_0x4 layout: byte = q5 + 112 = (q5 - 16) + 128.
struct Q5_0x4Int8 : Q5_0x4 {
  static constexpr bool kInt8 = true, kQh = false;
  static constexpr int kBias = 128, kShift = 112;
};

// Bytes per block per row of each section.
template <class F>
constexpr int64_t kQsBytes = F::kInt8 ? 32 : 16;
template <class F>
constexpr int64_t kBlockBytes = 2 + (F::kMin ? 2 : 0) + (F::kQh ? 4 : 0) + kQsBytes<F>;

// Section offsets within a group of nb blocks.
template <class F>
struct Sections {
  int64_t m, qh, qs, group;
  explicit Sections(int64_t nb)
      : m(8 * nb),
        qh(m + (F::kMin ? 8 * nb : 0)),
        qs(qh + (F::kQh ? 16 * nb : 0)),
        group(kGroupRows * kBlockBytes<F> * nb) {}
};

// The sections of a chunk starting at block b0, as offsets from the chunk's
// d (group + 8 * b0): every section moves by its own bytes per block.
template <class F>
Sections<F> chunk_sections(const Sections<F>& s, int64_t b0) {
  Sections<F> c = s;
  c.m = s.m + 8 * b0 - 8 * b0;
  c.qh = s.qh + 16 * b0 - 8 * b0;
  c.qs = s.qs + 4 * kQsBytes<F> * b0 - 8 * b0;
  return c;
}

// --- Repack and unrepack (plain C++: a load-time byte shuffle) --------------------

inline int64_t groups_of(int64_t rows) { return (rows + kGroupRows - 1) / kGroupRows; }

template <class F>
int64_t repacked_bytes(int64_t rows, int64_t n) {
  return groups_of(rows) * Sections<F>(n / kQK).group;
}

// Byte p of a half block's 64 code bytes for element e (0..31) of row r.
inline int code_byte(int r, int e) { return 16 * ((e % 16) / 4) + 4 * r + e % 4; }

template <class F>
void repack(const void* __restrict src, void* __restrict dst, int64_t rows, int64_t n) {
  using Block = typename F::Block;
  const int64_t nb = n / kQK;
  const Sections<F> s(nb);
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  std::memset(out, 0, static_cast<size_t>(repacked_bytes<F>(rows, n)));
  for (int64_t g = 0; g < groups_of(rows); ++g) {
    uint8_t* grp = out + g * s.group;
    for (int r = 0; r < kGroupRows; ++r) {
      const int64_t row = std::min(g * kGroupRows + r, rows - 1); // padding repeats the last row
      for (int64_t b = 0; b < nb; ++b) {
        Block blk;
        std::memcpy(&blk, in + (row * nb + b) * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
        std::memcpy(grp + 8 * b + 2 * r, &blk.d, 2);
        if constexpr (F::kMin) std::memcpy(grp + s.m + 8 * b + 2 * r, &blk.m, 2);
        if constexpr (F::kInt8) {
          for (int e = 0; e < kQK; ++e) {
            grp[s.qs + 128 * b + 64 * (e / 16) + code_byte(r, e)] =
                static_cast<uint8_t>(F::code(blk, e) + F::kShift);
          }
        } else {
          // GGUF qs byte j holds elements j (low nibble) and j + 16 (high): it moves whole.
          for (int j = 0; j < kQK / 2; ++j) grp[s.qs + 64 * b + code_byte(r, j)] = blk.qs[j];
          if constexpr (F::kQh) {
            const uint32_t qh = load_u32(blk.qh);
            for (int e = 0; e < kQK; ++e) {
              const int p = code_byte(r, e);
              if ((qh >> e) & 1)
                grp[s.qh + 16 * b + 8 * (e / 16) + p / 8] |= static_cast<uint8_t>(1 << (p % 8));
            }
          }
        }
      }
    }
  }
}

template <class F>
void unrepack(const void* __restrict src, void* __restrict dst, int64_t rows, int64_t n) {
  using Block = typename F::Block;
  const int64_t nb = n / kQK;
  const Sections<F> s(nb);
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t row = 0; row < rows; ++row) {
    const uint8_t* grp = in + (row / kGroupRows) * s.group;
    const int r = static_cast<int>(row % kGroupRows);
    for (int64_t b = 0; b < nb; ++b) {
      Block blk;
      std::memset(&blk, 0, sizeof blk);
      std::memcpy(&blk.d, grp + 8 * b + 2 * r, 2);
      if constexpr (F::kMin) std::memcpy(&blk.m, grp + s.m + 8 * b + 2 * r, 2);
      for (int e = 0; e < kQK; ++e) {
        const int h = e / 16;
        const int p = code_byte(r, e);
        int c;
        if constexpr (F::kInt8) {
          c = grp[s.qs + 128 * b + 64 * h + p] - F::kShift;
        } else {
          c = (grp[s.qs + 64 * b + p] >> (4 * h)) & 0x0F;
          if constexpr (F::kQh) c |= ((grp[s.qh + 16 * b + 8 * h + p / 8] >> (p % 8)) & 1) << 4;
        }
        F::set_code(blk, e, c);
      }
      std::memcpy(out + (row * nb + b) * static_cast<int64_t>(sizeof(Block)), &blk, sizeof(Block));
    }
  }
}

// --- The x side --------------------------------------------------------------------

// For blocks [0, nb) of x: xd / xc = x's d and the term that multiplies the
// weight's d (-bias * dx * sum(qx)) or m (Q8_1: sx), each 4 times (one per
// row of a group, as the weights' d's lie).
template <class X, int kBias>
void prepare_x(const X* xb, int64_t nb, float* __restrict xd, float* __restrict xc) {
  for (int64_t b = 0; b < nb; ++b) {
    const float d = f16_to_f32(xb[b].d);
    float c;
    if constexpr (kBias == 0) {
      c = f16_to_f32(xb[b].s);
    } else {
      // Sum of the 32 codes: vpdpbusd against bytes of 1, then a reduction.
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[b].qs));
      const __m256i sum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), q);
      __m128i t = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
      t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t)); // t[0:2] += t[2:4]
      t = _mm_add_epi32(t, _mm_srli_epi64(t, 32));    // t[0] += t[1]
      c = static_cast<float>(-kBias * _mm_cvtsi128_si32(t)) * d;
    }
    _mm_store_ps(xd + 4 * b, _mm_set1_ps(d));
    _mm_store_ps(xc + 4 * b, _mm_set1_ps(c));
  }
}

// --- One or two groups, one chunk ---------------------------------------------------

// The int32 dot of one block of a group with x's codes x0, x1 (its halves):
// lane 4i + r, row r.
template <class F>
inline __m512i block_dot(const uint8_t* qs, const uint8_t* qh, __m512i x0, __m512i x1) {
  if constexpr (F::kInt8) {
    const __m512i w0 = _mm512_loadu_si512(qs);
    const __m512i w1 = _mm512_loadu_si512(qs + 64);
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, x0), w1, x1);
  } else {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i v = _mm512_loadu_si512(qs);
    __m512i lo = _mm512_and_si512(v, low4);                       // half 0
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4); // half 1
    if constexpr (F::kQh) {
      const __m512i sixteen = _mm512_set1_epi8(16);
      lo = _mm512_mask_add_epi8(lo, _cvtu64_mask64(load_u64(qh)), lo, sixteen);
      hi = _mm512_mask_add_epi8(hi, _cvtu64_mask64(load_u64(qh + 8)), hi, sixteen);
    }
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, x0), hi, x1);
  }
}

// Lanes 4j .. 4j + 3 of v in every 128-bit lane.
inline __m512 spread_block(__m512 v, int j) {
  static const __m512i idx[4] = {
      _mm512_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3),
      _mm512_setr_epi32(4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7),
      _mm512_setr_epi32(8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11),
      _mm512_setr_epi32(12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15),
  };
  return _mm512_permutexvar_ps(idx[j], v);
}

// Blocks [b, b + kBlocks) (kBlocks <= 4) of kG groups into acc[g][0 ..
// kBlocks) and acc_c[g]. grp[g]: group g's first block of the chunk in each
// section (Sections' offsets from it); xb: x's blocks; xd, xc: prepare_x's, shared by the
// groups (two groups halve x's loads per weight byte).
template <class F, int kG, int kBlocks>
inline void blocks4(const uint8_t* const grp[kG], const Sections<F>& s, const typename F::X* xb,
                    const float* xd, const float* xc, int64_t b, __m512 acc[kG][4], __m512 acc_c[kG]) {
  const __mmask16 k = static_cast<__mmask16>((1u << (4 * kBlocks)) - 1);
  const __m512 dx = _mm512_maskz_loadu_ps(k, xd + 4 * b); // lane 4j + r: block b + j
  const __m512 cx = _mm512_maskz_loadu_ps(k, xc + 4 * b);
  __m512 scale[kG];
  for (int g = 0; g < kG; ++g) {
    const uint8_t* d = grp[g] + 8 * b;
    const __m512 dw = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, d)); // lane 4j + r: block b + j, row r
    if constexpr (F::kMin) {
      const __m512 mw = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, d + s.m));
      acc_c[g] = _mm512_fmadd_ps(mw, cx, acc_c[g]);
      _mm_prefetch(reinterpret_cast<const char*>(d + s.m + kPrefetchBytes), _MM_HINT_T0);
    } else {
      acc_c[g] = _mm512_fmadd_ps(dw, cx, acc_c[g]);
    }
    scale[g] = _mm512_mul_ps(dw, dx);
    _mm_prefetch(reinterpret_cast<const char*>(d + kPrefetchBytes), _MM_HINT_T0);
    if constexpr (F::kQh)
      _mm_prefetch(reinterpret_cast<const char*>(grp[g] + s.qh + 16 * b + kPrefetchBytes), _MM_HINT_T0);
  }
  for (int j = 0; j < kBlocks; ++j) {
    const int64_t bj = b + j;
    // x's 32 codes of block bj; int32 lane 4i + r <- group i of half 0 (x0) or half 1 (x1)
    const __m512i xv =
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[bj].qs)));
    const __m512i x0 =
        _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), xv);
    const __m512i x1 =
        _mm512_permutexvar_epi32(_mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7), xv);
    for (int g = 0; g < kG; ++g) {
      const uint8_t* qs = grp[g] + s.qs + 4 * kQsBytes<F> * bj;
      _mm_prefetch(reinterpret_cast<const char*>(qs + kPrefetchBytes), _MM_HINT_T0);
      if constexpr (F::kInt8)
        _mm_prefetch(reinterpret_cast<const char*>(qs + kPrefetchBytes + 64), _MM_HINT_T0);
      const __m512i dot = block_dot<F>(qs, grp[g] + s.qh + 16 * bj, x0, x1);
      acc[g][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), spread_block(scale[g], j), acc[g][j]);
    }
  }
}

// out[g] += the lanes of kG groups over blocks [0, chunk) of a chunk; row r
// of group g is the sum of out[g]'s lanes r, r + 4, r + 8, r + 12.
template <class F, int kG>
void groups_chunk(const uint8_t* const grp[kG], const Sections<F>& s, int64_t chunk, const typename F::X* xb,
                  const float* xd, const float* xc, __m512 out[kG]) {
  __m512 acc[kG][4];
  __m512 acc_c[kG];
  for (int g = 0; g < kG; ++g) {
    for (int j = 0; j < 4; ++j) acc[g][j] = _mm512_setzero_ps();
    acc_c[g] = _mm512_setzero_ps();
  }
  int64_t b = 0;
  for (; b + 4 <= chunk; b += 4) blocks4<F, kG, 4>(grp, s, xb, xd, xc, b, acc, acc_c);
  switch (chunk - b) {
    case 3:
      blocks4<F, kG, 3>(grp, s, xb, xd, xc, b, acc, acc_c);
      break;
    case 2:
      blocks4<F, kG, 2>(grp, s, xb, xd, xc, b, acc, acc_c);
      break;
    case 1:
      blocks4<F, kG, 1>(grp, s, xb, xd, xc, b, acc, acc_c);
      break;
    default:
      break;
  }
  for (int g = 0; g < kG; ++g) {
    const __m512 sum =
        _mm512_add_ps(_mm512_add_ps(acc[g][0], acc[g][1]), _mm512_add_ps(acc[g][2], acc[g][3]));
    out[g] = _mm512_add_ps(out[g], _mm512_add_ps(sum, acc_c[g]));
  }
}

// y[r] for r in [row_begin, row_end), w in the layout of F: kGroupsPerPass
// groups per pass, then one. A group that straddles the range is computed whole and
// only its rows in the range are written.
template <class F>
void matvec_x4(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
               int64_t row_begin, int64_t row_end) {
  using X = typename F::X;
  if (row_end <= row_begin) return;
  const int64_t nb = n / kQK;
  const Sections<F> s(nb);
  const auto* base = static_cast<const uint8_t*>(w);
  const auto* x = static_cast<const X*>(xq);
  alignas(64) float xd[kChunkBlocks * 4];
  alignas(64) float xc[kChunkBlocks * 4];
  const int64_t g_begin = row_begin / kGroupRows;
  const int64_t g_end = (row_end + kGroupRows - 1) / kGroupRows;

  const auto run = [&]<int kG>(int64_t g0) {
    __m512 out[kG];
    for (int g = 0; g < kG; ++g) out[g] = _mm512_setzero_ps();
    for (int64_t b0 = 0; b0 < nb; b0 += kChunkBlocks) {
      const int64_t chunk = std::min(kChunkBlocks, nb - b0);
      // With one chunk (n <= 8192) x is prepared once per call.
      if (g0 == g_begin || nb > kChunkBlocks) prepare_x<X, F::kBias>(x + b0, chunk, xd, xc);
      const uint8_t* grp[kG];
      for (int g = 0; g < kG; ++g) grp[g] = base + (g0 + g) * s.group + 8 * b0;
      // grp[g] + section offset + the chunk's offset in that section
      const Sections<F> sc = chunk_sections(s, b0);
      groups_chunk<F, kG>(grp, sc, chunk, x + b0, xd, xc, out);
    }
    for (int g = 0; g < kG; ++g) {
      // row r: lanes r, r + 4, r + 8, r + 12
      const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(out[g]), _mm512_extractf32x8_ps(out[g], 1));
      alignas(16) float rows4[4];
      _mm_store_ps(rows4, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
      for (int r = 0; r < kGroupRows; ++r) {
        const int64_t row = (g0 + g) * kGroupRows + r;
        if (row >= row_begin && row < row_end) y[row] = rows4[r];
      }
    }
  };
  int64_t g = g_begin;
  if constexpr (kGroupsPerPass == 2) {
    for (; g + 2 <= g_end; g += 2) run.template operator()<2>(g);
  }
  for (; g < g_end; ++g) run.template operator()<1>(g);
}

} // namespace

RepackedLayout layout_q4_0x4() {
  return {"q4_0x4", repacked_bytes<Q4_0x4>, repack<Q4_0x4>, unrepack<Q4_0x4>, matvec_x4<Q4_0x4>};
}
RepackedLayout layout_q4_1x4() {
  return {"q4_1x4", repacked_bytes<Q4_1x4>, repack<Q4_1x4>, unrepack<Q4_1x4>, matvec_x4<Q4_1x4>};
}
RepackedLayout layout_q5_0x4() {
  return {"q5_0x4", repacked_bytes<Q5_0x4>, repack<Q5_0x4>, unrepack<Q5_0x4>, matvec_x4<Q5_0x4>};
}
RepackedLayout layout_q5_0x4_int8() {
  return {"q5_0x4_int8", repacked_bytes<Q5_0x4Int8>, repack<Q5_0x4Int8>, unrepack<Q5_0x4Int8>,
          matvec_x4<Q5_0x4Int8>};
}
RepackedLayout layout_q8_0x4() {
  return {"q8_0x4", repacked_bytes<Q8_0x4>, repack<Q8_0x4>, unrepack<Q8_0x4>, matvec_x4<Q8_0x4>};
}

} // namespace lathe::kernels::avx512
