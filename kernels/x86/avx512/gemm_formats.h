// The parts of the prefill GEMM that do not depend on the unit doing the
// integer products: the weight formats as signed sub-block codes with float
// scales, the activation formats, the panel and group layouts in the scratch,
// and the driver that walks panels and groups. Shared by the AVX-512 VNNI
// kernel (kernels/x86/avx512/gemm.cpp) and the AMX one
// (kernels/x86/amx/gemm.cpp); the model of the sums is described in the
// former. Internal: include only from sources compiled with the avx512 flags.
//
// Everything here is inline in the namespace gemm_parts; the AMX sources add
// only the tile flags (-mamx-tile -mamx-int8), which the compiler never uses
// for code without tile intrinsics, so both copies of each function are the
// same code.
#pragma once

#include "kernels/x86/intrinsics.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/quant_types.h"
#include "kernels/scalar/formats.h"
#include "kernels/x86/avx512/simd.h"

namespace lathe::kernels::avx512::gemm_parts {

constexpr int kPanelRows = 16;   // weight rows per panel
constexpr int kGroupTokens = 16; // tokens per group (one per lane)
constexpr int kMinSub = 16;      // the smallest sub-block of any format

inline int64_t round_up64(int64_t bytes) { return (bytes + 63) / 64 * 64; }
inline uint8_t* align64(void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((a + 63) & ~uintptr_t{63});
}

// --- Weight formats: one block to signed codes, scales and minimum terms ------

// Each format: kElems elements per block, kSub per sub-block, kMin whether it
// has a minimum term; unpack(block, q (kElems), ws (kElems / kSub), wm) with
// element value = ws * q (+ the minimum, whose dot with x is wm * xm).

// The 32 four-bit codes of qs as bytes: elements 0..15 from the low
// nibbles, 16..31 from the high ones.
inline __m256i nibbles_32(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// The fifth bits of a Q5 block as 0x10 per element (bit j of qh is element j).
inline __m256i fifth_bits_32(const uint8_t qh[4]) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return _mm256_and_si256(_mm256_movm_epi8(bits), _mm256_set1_epi8(0x10));
}

inline void store_codes(int8_t* q, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(q), v); }

struct FmtQ4_0 {
  using Block = BlockQ4_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    store_codes(q, _mm256_sub_epi8(nibbles_32(b.qs), _mm256_set1_epi8(8)));
    ws[0] = f16_to_f32(b.d);
  }
};

struct FmtQ4_1 {
  using Block = BlockQ4_1;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = true;
  static void unpack(const Block& b, int8_t* q, float* ws, float* wm) {
    store_codes(q, nibbles_32(b.qs));
    ws[0] = f16_to_f32(b.d);
    wm[0] = f16_to_f32(b.m); // times Q8_1's s = dx * sum(x)
  }
};

struct FmtQ5_0 {
  using Block = BlockQ5_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    const __m256i u = _mm256_or_si256(nibbles_32(b.qs), fifth_bits_32(b.qh));
    store_codes(q, _mm256_sub_epi8(u, _mm256_set1_epi8(16)));
    ws[0] = f16_to_f32(b.d);
  }
};

struct FmtQ5_1 {
  using Block = BlockQ5_1;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = true;
  static void unpack(const Block& b, int8_t* q, float* ws, float* wm) {
    store_codes(q, _mm256_or_si256(nibbles_32(b.qs), fifth_bits_32(b.qh)));
    ws[0] = f16_to_f32(b.d);
    wm[0] = f16_to_f32(b.m);
  }
};

struct FmtQ8_0 {
  using Block = BlockQ8_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    std::memcpy(q, b.qs, kQK);
    ws[0] = f16_to_f32(b.d);
  }
};

// Q4_K / Q5_K scales and mins: the scalar reference's unpacking.
using scalar::formats::k_scale_min;

// Element value d * sc_s * q - dmin * mn_s; against x the minimum gives
// -dmin * mn_s * dx * sum(x of s), so wm = -dmin * mn_s and xm = dx * sum.
template <bool kFifthBit>
struct FmtQ45_K {
  using Block = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;
  static constexpr int kElems = kQKK, kSub = 32;
  static constexpr bool kMin = true;
  static void unpack(const Block& b, int8_t* q, float* ws, float* wm) {
    // The low nibble of qs[32c + i] is element 64c + i, the high one 64c + 32 + i;
    // Q5_K's fifth bit of element 32s + i is bit s of qh[i].
    for (int c = 0; c < 4; ++c) {
      for (int i = 0; i < 32; ++i) {
        int lo = b.qs[32 * c + i] & 0xF;
        int hi = b.qs[32 * c + i] >> 4;
        if constexpr (kFifthBit) {
          lo |= ((b.qh[i] >> (2 * c)) & 1) << 4;
          hi |= ((b.qh[i] >> (2 * c + 1)) & 1) << 4;
        }
        q[64 * c + i] = static_cast<int8_t>(lo);
        q[64 * c + 32 + i] = static_cast<int8_t>(hi);
      }
    }
    int sc[8];
    int mn[8];
    k_scale_min(b.scales, sc, mn);
    const float d = f16_to_f32(b.d);
    const float dmin = f16_to_f32(b.dmin);
    for (int s = 0; s < 8; ++s) {
      ws[s] = d * static_cast<float>(sc[s]);
      wm[s] = -dmin * static_cast<float>(mn[s]);
    }
  }
};

// Q6_K: element 128h + 32k + i takes its low 4 bits from ql[64h + 32(k % 2) + i]
// (low nibble for k < 2, high for k >= 2), its high 2 bits from bits 2k..2k+1
// of qh[32h + i]; codes q - 32; sixteen int8 scales, one per 16 elements.
struct FmtQ6_K {
  using Block = BlockQ6_K;
  static constexpr int kElems = kQKK, kSub = 16;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b.ql + 64 * h;
      const uint8_t* qh = b.qh + 32 * h;
      int8_t* o = q + 128 * h;
      for (int i = 0; i < 32; ++i) {
        o[i] = static_cast<int8_t>(((ql[i] & 0xF) | ((qh[i] & 3) << 4)) - 32);
        o[32 + i] = static_cast<int8_t>(((ql[32 + i] & 0xF) | (((qh[i] >> 2) & 3) << 4)) - 32);
        o[64 + i] = static_cast<int8_t>(((ql[i] >> 4) | (((qh[i] >> 4) & 3) << 4)) - 32);
        o[96 + i] = static_cast<int8_t>(((ql[32 + i] >> 4) | (((qh[i] >> 6) & 3) << 4)) - 32);
      }
    }
    const float d = f16_to_f32(b.d);
    for (int s = 0; s < 16; ++s) ws[s] = d * static_cast<float>(b.scales[s]);
  }
};

// --- Activation formats: codes, dx and xm of one (token, sub-block) ----------

struct ActQ8_0 {
  static constexpr int kElems = kQK;
  static int64_t row_bytes(int64_t n) { return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_0)); }
  // Sub-block s (of size S <= 32) of a row: codes, scale, d * sum (unused).
  static const int8_t* sub(const uint8_t* row, int64_t s, int S, float* dx, float* xm) {
    const int64_t e = s * S;
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + e / kQK;
    *dx = f16_to_f32(b->d);
    *xm = 0.0f;
    return b->qs + e % kQK;
  }
};

struct ActQ8_1 {
  static int64_t row_bytes(int64_t n) { return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_1)); }
  static const int8_t* sub(const uint8_t* row, int64_t s, int S, float* dx, float* xm) {
    const int64_t e = s * S;
    const auto* b = reinterpret_cast<const BlockQ8_1*>(row) + e / kQK;
    *dx = f16_to_f32(b->d);
    *xm = f16_to_f32(b->s); // d * sum(qs), as the scalar dot uses it (S is the whole block)
    return b->qs + e % kQK;
  }
};

struct ActQ8_K {
  static int64_t row_bytes(int64_t n) { return n / kQKK * static_cast<int64_t>(sizeof(BlockQ8_K)); }
  static const int8_t* sub(const uint8_t* row, int64_t s, int S, float* dx, float* xm) {
    const int64_t e = s * S;
    const auto* b = reinterpret_cast<const BlockQ8_K*>(row) + e / kQKK;
    const int64_t first = (e % kQKK) / 16; // bsums are per 16
    int32_t sum = 0;
    for (int g = 0; g < S / 16; ++g) sum += b->bsums[first + g];
    *dx = b->d;
    *xm = b->d * static_cast<float>(sum);
    return b->qs + e % kQKK;
  }
};

// --- Scratch ----------------------------------------------------------------

// The panel: 16 rows unpacked.
struct Panel {
  int8_t* codes; // (n_sub, 16 rows, S)
  float* ws;     // (n_sub, 16)
  float* wm;     // (n_sub, 16)
  int32_t* corr; // (n_sub, 16): -128 * sum of the sub-block's codes
};

// A group of 16 tokens, lanes = tokens.
struct Group {
  uint8_t* codes; // (n_sub, S / 4, 16 lanes, 4 bytes): x, or x + 128 (make_group's kXor)
  float* dx;      // (n_sub, 16)
  float* xm;      // (n_sub, 16)
};

struct Layout {
  int64_t panel_codes, panel_floats, group_codes, group_floats;
};

// Sizes for n columns with the smallest sub-block (the largest count of scales).
inline Layout layout(int64_t n) {
  const int64_t n_sub = n / kMinSub;
  return {round_up64(kPanelRows * n), round_up64(kPanelRows * n_sub * 4), round_up64(kGroupTokens * n),
          round_up64(kGroupTokens * n_sub * 4)};
}

constexpr int64_t kOutBytes = kPanelRows * kGroupTokens * 4;

// --- The kernel --------------------------------------------------------------

// Sum of S signed codes: the unsigned sum of (q + 128) per byte (vpsadbw), less 128 S.
template <int S>
inline int32_t code_sum(const int8_t* q) {
  if constexpr (S == 32) {
    const __m256i u =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), _mm256_set1_epi8(-128));
    const __m256i sad = _mm256_sad_epu8(u, _mm256_setzero_si256()); // four 64-bit partial sums
    const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
    return static_cast<int32_t>(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 128 * S;
  } else {
    static_assert(S == 16);
    const __m128i u =
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), _mm_set1_epi8(-128));
    const __m128i sad = _mm_sad_epu8(u, _mm_setzero_si128());
    return static_cast<int32_t>(_mm_cvtsi128_si64(sad) + _mm_extract_epi64(sad, 1)) - 128 * S;
  }
}

// Rows r0 .. r0 + rows - 1 of the panel (rows past `rows` zero); with kCorr
// also corr, which only the unsigned-x (VNNI) products need.
template <class Fmt, bool kCorr>
inline void unpack_panel(const uint8_t* w, int64_t row_bytes, int64_t n, int64_t rows, const Panel& p) {
  constexpr int S = Fmt::kSub;
  constexpr int kSubPerBlock = Fmt::kElems / S;
  const int64_t n_sub = n / S;
  const int64_t n_blocks = n / Fmt::kElems;
  alignas(64) int8_t q[Fmt::kElems];
  float ws[kSubPerBlock];
  float wm[kSubPerBlock] = {};
  for (int64_t r = 0; r < kPanelRows; ++r) {
    if (r >= rows) { // rows past the range: zero, so their sums are zero
      for (int64_t s = 0; s < n_sub; ++s) {
        std::memset(p.codes + (s * kPanelRows + r) * S, 0, S);
        p.ws[s * kPanelRows + r] = 0.0f;
        p.wm[s * kPanelRows + r] = 0.0f;
        p.corr[s * kPanelRows + r] = 0;
      }
      continue;
    }
    const auto* blocks = reinterpret_cast<const typename Fmt::Block*>(w + r * row_bytes);
    for (int64_t b = 0; b < n_blocks; ++b) {
      Fmt::unpack(blocks[b], q, ws, wm);
      for (int j = 0; j < kSubPerBlock; ++j) {
        const int64_t s = b * kSubPerBlock + j;
        std::memcpy(p.codes + (s * kPanelRows + r) * S, q + S * j, S);
        p.ws[s * kPanelRows + r] = ws[j];
        p.wm[s * kPanelRows + r] = wm[j];
        if constexpr (kCorr) p.corr[s * kPanelRows + r] = -128 * code_sum<S>(q + S * j);
      }
    }
  }
}

// The group of tokens t0 .. t0 + count - 1 (lanes past count zero), each code
// byte XORed with kXor: 0x80808080 turns x into x + 128 (the unsigned operand
// of vpdpbusd), 0 keeps the signed codes (AMX tdpbssd).
template <class Act, int S, uint32_t kXor>
inline void make_group(const uint8_t* xq, int64_t x_stride, int64_t n, int64_t t0, int64_t count,
                       const Group& g) {
  const int64_t n_sub = n / S;
  for (int64_t lane = 0; lane < kGroupTokens; ++lane) {
    if (lane >= count) { // tokens past the chunk: zero codes and scales
      for (int64_t s = 0; s < n_sub; ++s) {
        for (int qd = 0; qd < S / 4; ++qd)
          std::memset(g.codes + ((s * (S / 4) + qd) * kGroupTokens + lane) * 4, 0, 4);
        g.dx[s * kGroupTokens + lane] = 0.0f;
        g.xm[s * kGroupTokens + lane] = 0.0f;
      }
      continue;
    }
    const uint8_t* row = xq + (t0 + lane) * x_stride;
    for (int64_t s = 0; s < n_sub; ++s) {
      float dx;
      float xm;
      const int8_t* x = Act::sub(row, s, S, &dx, &xm);
      for (int qd = 0; qd < S / 4; ++qd) {
        uint32_t v;
        std::memcpy(&v, x + 4 * qd, 4);
        v ^= kXor;
        std::memcpy(g.codes + ((s * (S / 4) + qd) * kGroupTokens + lane) * 4, &v, 4);
      }
      g.dx[s * kGroupTokens + lane] = dx;
      g.xm[s * kGroupTokens + lane] = xm;
    }
  }
}

// The scratch of gemm_panels (GemmScratchFn), the same for every unit.
inline int64_t gemm_scratch_bytes_for(int64_t n, int64_t n_tokens) {
  const Layout L = layout(n);
  const int64_t n_groups = (n_tokens + kGroupTokens - 1) / kGroupTokens;
  return 64 + kOutBytes + L.panel_codes + 3 * L.panel_floats +
         n_groups * (L.group_codes + 2 * L.group_floats);
}

// The GEMM of one format on one unit: the groups made once, then every panel
// unpacked and multiplied by every group. Unit supplies kXor (make_group) and
// Unit::panel_times_group<S, kMin>(panel, group, n_sub, out), which writes the
// (16 rows, 16 tokens) block of Y to out.
template <class Fmt, class Act, class Unit>
inline void gemm_panels(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                        int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end,
                        void* scratch) {
  constexpr int S = Fmt::kSub;
  const int64_t n_sub = n / S;
  const int64_t row_bytes = n / Fmt::kElems * static_cast<int64_t>(sizeof(typename Fmt::Block));
  const int64_t x_stride = Act::row_bytes(n);
  const Layout L = layout(n);
  uint8_t* at = align64(scratch);
  float* out = reinterpret_cast<float*>(at); // (16 rows, 16 tokens)
  at += kOutBytes;
  const Panel p{reinterpret_cast<int8_t*>(at), reinterpret_cast<float*>(at + L.panel_codes),
                reinterpret_cast<float*>(at + L.panel_codes + L.panel_floats),
                reinterpret_cast<int32_t*>(at + L.panel_codes + 2 * L.panel_floats)};
  at += L.panel_codes + 3 * L.panel_floats;
  const int64_t n_groups = (n_tokens + kGroupTokens - 1) / kGroupTokens;
  const int64_t group_bytes = L.group_codes + 2 * L.group_floats;
  const auto group = [&](int64_t gi) {
    uint8_t* base = at + gi * group_bytes;
    return Group{base, reinterpret_cast<float*>(base + L.group_codes),
                 reinterpret_cast<float*>(base + L.group_codes + L.group_floats)};
  };
  const auto* xs = static_cast<const uint8_t*>(xq);
  for (int64_t gi = 0; gi < n_groups; ++gi) {
    const int64_t t0 = gi * kGroupTokens;
    make_group<Act, S, Unit::kXor>(xs, x_stride, n, t0, std::min<int64_t>(kGroupTokens, n_tokens - t0),
                                   group(gi));
  }
  const auto* ws = static_cast<const uint8_t*>(w);
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kPanelRows) {
    const int64_t rows = std::min<int64_t>(kPanelRows, row_end - r0);
    unpack_panel<Fmt, Unit::kXor != 0>(ws + r0 * row_bytes, row_bytes, n, rows, p);
    for (int64_t gi = 0; gi < n_groups; ++gi) {
      Unit::template panel_times_group<S, Fmt::kMin>(p, group(gi), n_sub, out);
      const int64_t t0 = gi * kGroupTokens;
      const int64_t count = std::min<int64_t>(kGroupTokens, n_tokens - t0);
      for (int64_t t = 0; t < count; ++t) {
        float* yt = y + (t0 + t) * y_stride + r0;
        for (int64_t r = 0; r < rows; ++r) yt[r] = out[r * kGroupTokens + t];
      }
    }
  }
}

} // namespace lathe::kernels::avx512::gemm_parts
