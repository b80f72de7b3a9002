// The parts of the NEON prefill GEMM that its two register tiles share
// (gemm.cpp: sdot; gemm_i8mm.cpp: smmla): the weight formats seen as signed
// int8 sub-blocks, the packed panels of weight rows and groups of tokens, the
// scratch layout, and the loop over panels and groups. Internal to this
// folder; everything is in an anonymous namespace, so each including file
// keeps its own copy compiled with its own flags.
//
// Every format is seen as sub-blocks of S = 32 (or 16, Q6_K) elements with
// signed int8 codes c, a float scale ws and, for formats with a minimum, a
// float minimum term wm per (row, sub-block). The activations are the
// formats' own Q8 blocks: codes x, a float scale dx and, for the minimum,
// xm = dx * sum(x) per (token, sub-block). Then
//   Y[t][r] = sum_s  ws[r][s] * dx[t][s] * isum[r][t][s]  +  wm[r][s] * xm[t][s]
// with isum = sum of c * x over the sub-block, in int32 (exact). Both codes
// are signed: sdot and smmla multiply signed by signed, so no offset is needed.
//
// Packing. A panel is kPanelRows = 8 weight rows, a group kGroupTokens = 4
// tokens. Both are stored sub-block by sub-block, each sub-block cut into
// chunks of G bytes (G = the tile's grain: 4 for sdot, 8 for smmla) with the
// rows (tokens) of a chunk side by side:
//   panel codes (n_sub, S / G, 8 rows, G bytes)     ws, wm (n_sub, 8 rows)
//   group codes (n_sub, S / G, 4 tokens, G bytes)   dx, xm (n_sub, 4 tokens)
// so one 16-byte load holds 4 rows x 4 bytes (G = 4) or 2 rows x 8 bytes
// (G = 8, a 2x8 smmla operand), and likewise for tokens. Rows past the range
// and tokens past the chunk are packed as zero codes and zero scales.
#pragma once

#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/arm/neon/neon_helpers.h"
#include "kernels/quant_types.h"
#include "kernels/scalar/formats.h"

namespace lathe::kernels::neon {
namespace {

constexpr int kPanelRows = 8;   // weight rows per panel (= rows of the register tile)
constexpr int kGroupTokens = 4; // tokens per group (= tokens of the register tile)
constexpr int kMinSub = 16;     // the smallest sub-block of any format

// --- Weight formats: one block to signed codes, scales and minimum terms ------

// Each format: kElems elements per block, kSub per sub-block, kMin whether it
// has a minimum term; unpack(block, q (kElems), ws (kElems / kSub), wm) with
// element value = ws * q (+ the minimum, whose dot with x is wm * xm).

inline void store16(int8_t* q, int8x16_t v) { vst1q_s8(q, v); }
inline void store16(int8_t* q, uint8x16_t v) { vst1q_s8(q, vreinterpretq_s8_u8(v)); }

// The fifth bits of a Q5 block, 0x10 per element: lo elements 0..15, hi 16..31.
inline void fifth_bits(const uint8_t qh[4], uint8x16_t* lo, uint8x16_t* hi) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  *lo = bits_to_0x10(bits & 0xFFFF);
  *hi = bits_to_0x10(bits >> 16);
}

struct FmtQ4_0 {
  using Block = BlockQ4_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    const Codes32 c = unpack_nibbles(b.qs);
    store16(q, vsubq_s8(c.lo, vdupq_n_s8(8)));
    store16(q + 16, vsubq_s8(c.hi, vdupq_n_s8(8)));
    ws[0] = half_to_float(b.d);
  }
};

struct FmtQ4_1 {
  using Block = BlockQ4_1;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = true;
  static void unpack(const Block& b, int8_t* q, float* ws, float* wm) {
    const Codes32 c = unpack_nibbles(b.qs);
    store16(q, c.lo);
    store16(q + 16, c.hi);
    ws[0] = half_to_float(b.d);
    wm[0] = half_to_float(b.m); // times Q8_1's s = dx * sum(x)
  }
};

struct FmtQ5_0 {
  using Block = BlockQ5_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    const Codes32 c = unpack_nibbles(b.qs);
    uint8x16_t lo, hi;
    fifth_bits(b.qh, &lo, &hi);
    // (nibble | fifth bit) - 16, in [-16, 15]
    store16(q, vsubq_s8(vorrq_s8(c.lo, vreinterpretq_s8_u8(lo)), vdupq_n_s8(16)));
    store16(q + 16, vsubq_s8(vorrq_s8(c.hi, vreinterpretq_s8_u8(hi)), vdupq_n_s8(16)));
    ws[0] = half_to_float(b.d);
  }
};

struct FmtQ5_1 {
  using Block = BlockQ5_1;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = true;
  static void unpack(const Block& b, int8_t* q, float* ws, float* wm) {
    const Codes32 c = unpack_nibbles(b.qs);
    uint8x16_t lo, hi;
    fifth_bits(b.qh, &lo, &hi);
    store16(q, vorrq_s8(c.lo, vreinterpretq_s8_u8(lo)));
    store16(q + 16, vorrq_s8(c.hi, vreinterpretq_s8_u8(hi)));
    ws[0] = half_to_float(b.d);
    wm[0] = half_to_float(b.m);
  }
};

struct FmtQ8_0 {
  using Block = BlockQ8_0;
  static constexpr int kElems = kQK, kSub = 32;
  static constexpr bool kMin = false;
  static void unpack(const Block& b, int8_t* q, float* ws, float*) {
    std::memcpy(q, b.qs, kQK);
    ws[0] = half_to_float(b.d);
  }
};

// Q4_K / Q5_K scales and mins: the scalar reference's unpacking.
using scalar::formats::k_scale_min;

// bytes[j] bit `bit` as 0x10 or 0 per byte.
inline uint8x16_t bit_as_0x10(uint8x16_t bytes, int bit) {
  return vandq_u8(vtstq_u8(bytes, vdupq_n_u8(static_cast<uint8_t>(1u << bit))), vdupq_n_u8(0x10));
}

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
      for (int h = 0; h < 2; ++h) { // i in [16h, 16h + 16)
        const uint8x16_t v = vld1q_u8(b.qs + 32 * c + 16 * h);
        uint8x16_t lo = vandq_u8(v, vdupq_n_u8(0x0F));
        uint8x16_t hi = vshrq_n_u8(v, 4);
        if constexpr (kFifthBit) {
          const uint8x16_t qh = vld1q_u8(b.qh + 16 * h);
          lo = vorrq_u8(lo, bit_as_0x10(qh, 2 * c));
          hi = vorrq_u8(hi, bit_as_0x10(qh, 2 * c + 1));
        }
        store16(q + 64 * c + 16 * h, lo);
        store16(q + 64 * c + 32 + 16 * h, hi);
      }
    }
    int sc[8];
    int mn[8];
    k_scale_min(b.scales, sc, mn);
    const float d = half_to_float(b.d);
    const float dmin = half_to_float(b.dmin);
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
    const int8x16_t k32 = vdupq_n_s8(32);
    for (int h = 0; h < 2; ++h) {
      for (int j = 0; j < 2; ++j) { // i in [16j, 16j + 16)
        const uint8x16_t l0 = vld1q_u8(b.ql + 64 * h + 16 * j);      // ql[i]
        const uint8x16_t l1 = vld1q_u8(b.ql + 64 * h + 32 + 16 * j); // ql[32 + i]
        const uint8x16_t hb = vld1q_u8(b.qh + 32 * h + 16 * j);      // qh[i]
        const uint8x16_t m4 = vdupq_n_u8(0x0F);
        // k = 0: low nibble of ql[i], qh bits 0..1 -> bits 4..5
        const uint8x16_t e0 = vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, vdupq_n_u8(0x03)), 4));
        // k = 1: low nibble of ql[32 + i], qh bits 2..3 -> bits 4..5
        const uint8x16_t e1 = vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(hb, vdupq_n_u8(0x0C)), 2));
        // k = 2: high nibble of ql[i], qh bits 4..5 in place
        const uint8x16_t e2 = vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(hb, vdupq_n_u8(0x30)));
        // k = 3: high nibble of ql[32 + i], qh bits 6..7 -> bits 4..5
        const uint8x16_t e3 = vorrq_u8(vshrq_n_u8(l1, 4), vshrq_n_u8(vandq_u8(hb, vdupq_n_u8(0xC0)), 2));
        int8_t* o = q + 128 * h + 16 * j;
        store16(o, vsubq_s8(vreinterpretq_s8_u8(e0), k32));
        store16(o + 32, vsubq_s8(vreinterpretq_s8_u8(e1), k32));
        store16(o + 64, vsubq_s8(vreinterpretq_s8_u8(e2), k32));
        store16(o + 96, vsubq_s8(vreinterpretq_s8_u8(e3), k32));
      }
    }
    const float d = half_to_float(b.d);
    for (int s = 0; s < 16; ++s) ws[s] = d * static_cast<float>(b.scales[s]);
  }
};

// --- Activation formats: codes, dx and xm of one (token, sub-block) ----------

struct ActQ8_0 {
  static int64_t row_bytes(int64_t n) { return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_0)); }
  // Sub-block s (of size S <= 32) of a row: its codes; *dx its scale, *xm 0 (no minimum).
  static const int8_t* sub(const uint8_t* row, int64_t s, int S, float* dx, float* xm) {
    const int64_t e = s * S;
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + e / kQK;
    *dx = half_to_float(b->d);
    *xm = 0.0f;
    return b->qs + e % kQK;
  }
};

struct ActQ8_1 {
  static int64_t row_bytes(int64_t n) { return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_1)); }
  static const int8_t* sub(const uint8_t* row, int64_t s, int S, float* dx, float* xm) {
    const int64_t e = s * S;
    const auto* b = reinterpret_cast<const BlockQ8_1*>(row) + e / kQK;
    *dx = half_to_float(b->d);
    *xm = half_to_float(b->s); // d * sum(qs), as the scalar dot uses it (S is the whole block)
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

inline int64_t round_up64(int64_t bytes) { return (bytes + 63) / 64 * 64; }
inline uint8_t* align64(void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((a + 63) & ~uintptr_t{63});
}

struct Panel {
  int8_t* codes; // (n_sub, S / G, 8 rows, G bytes)
  float* ws;     // (n_sub, 8 rows)
  float* wm;     // (n_sub, 8 rows)
};

struct Group {
  int8_t* codes; // (n_sub, S / G, 4 tokens, G bytes)
  float* dx;     // (n_sub, 4 tokens)
  float* xm;     // (n_sub, 4 tokens)
};

// Bytes of each part for rows of n elements, sized for the smallest
// sub-block (the largest count of scales); G does not change them.
struct Layout {
  int64_t panel_codes, panel_floats, group_codes, group_floats;
};
inline Layout layout(int64_t n) {
  const int64_t n_sub = n / kMinSub;
  return {round_up64(kPanelRows * n), round_up64(kPanelRows * n_sub * 4), round_up64(kGroupTokens * n),
          round_up64(kGroupTokens * n_sub * 4)};
}

constexpr int64_t kOutBytes = kPanelRows * kGroupTokens * 4; // the tile's result, (4 tokens, 8 rows)

// Scratch of the whole call: the tile's result, one panel, and every group
// of the chunk (packed once per call); 64 bytes of slack for the alignment.
inline int64_t scratch_bytes(int64_t n, int64_t n_tokens) {
  const Layout L = layout(n);
  const int64_t n_groups = (n_tokens + kGroupTokens - 1) / kGroupTokens;
  return 64 + kOutBytes + L.panel_codes + 2 * L.panel_floats + n_groups * (L.group_codes + 2 * L.group_floats);
}

// --- Packing ----------------------------------------------------------------

// The panel of rows [0, rows) of w (rows <= 8), rows past `rows` zero.
template <class Fmt, int G>
void pack_panel(const uint8_t* w, int64_t row_bytes, int64_t n, int64_t rows, const Panel& p) {
  constexpr int S = Fmt::kSub;
  constexpr int kChunks = S / G;
  constexpr int kSubPerBlock = Fmt::kElems / S;
  const int64_t n_sub = n / S;
  const int64_t n_blocks = n / Fmt::kElems;
  alignas(16) int8_t q[Fmt::kElems];
  float ws[kSubPerBlock];
  float wm[kSubPerBlock] = {};
  for (int64_t r = 0; r < kPanelRows; ++r) {
    if (r >= rows) { // rows past the range: zero, so their sums are zero
      for (int64_t s = 0; s < n_sub; ++s) {
        for (int c = 0; c < kChunks; ++c) std::memset(p.codes + ((s * kChunks + c) * kPanelRows + r) * G, 0, G);
        p.ws[s * kPanelRows + r] = 0.0f;
        p.wm[s * kPanelRows + r] = 0.0f;
      }
      continue;
    }
    const auto* blocks = reinterpret_cast<const typename Fmt::Block*>(w + r * row_bytes);
    for (int64_t b = 0; b < n_blocks; ++b) {
      Fmt::unpack(blocks[b], q, ws, wm);
      for (int j = 0; j < kSubPerBlock; ++j) {
        const int64_t s = b * kSubPerBlock + j;
        for (int c = 0; c < kChunks; ++c) {
          std::memcpy(p.codes + ((s * kChunks + c) * kPanelRows + r) * G, q + S * j + G * c, G);
        }
        p.ws[s * kPanelRows + r] = ws[j];
        p.wm[s * kPanelRows + r] = wm[j];
      }
    }
  }
}

// The group of tokens [t0, t0 + count) of the chunk (count <= 4), tokens past `count` zero.
template <class Act, int S, int G>
void pack_group(const uint8_t* xq, int64_t x_stride, int64_t n, int64_t t0, int64_t count, const Group& g) {
  constexpr int kChunks = S / G;
  const int64_t n_sub = n / S;
  for (int64_t t = 0; t < kGroupTokens; ++t) {
    const uint8_t* row = t < count ? xq + (t0 + t) * x_stride : nullptr;
    for (int64_t s = 0; s < n_sub; ++s) {
      float dx = 0.0f;
      float xm = 0.0f;
      const int8_t* x = row ? Act::sub(row, s, S, &dx, &xm) : nullptr;
      for (int c = 0; c < kChunks; ++c) {
        int8_t* dst = g.codes + ((s * kChunks + c) * kGroupTokens + t) * G;
        if (x) {
          std::memcpy(dst, x + G * c, G);
        } else {
          std::memset(dst, 0, G);
        }
      }
      g.dx[s * kGroupTokens + t] = dx;
      g.xm[s * kGroupTokens + t] = xm;
    }
  }
}

// --- The loop over panels and groups -----------------------------------------

// Tile: kGrain (G) and multiply<S, kMin>(panel, group, n_sub, out), which
// writes the 8 rows x 4 tokens of the panel times the group to out as
// (4 tokens, 8 rows).
template <class Fmt, class Act, class Tile>
void gemm(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n, int64_t n_tokens,
          int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  constexpr int S = Fmt::kSub;
  constexpr int G = Tile::kGrain;
  static_assert(S % G == 0);
  const int64_t n_sub = n / S;
  const int64_t row_bytes = n / Fmt::kElems * static_cast<int64_t>(sizeof(typename Fmt::Block));
  const int64_t x_stride = Act::row_bytes(n);
  const Layout L = layout(n);
  uint8_t* at = align64(scratch);
  float* out = reinterpret_cast<float*>(at); // (4 tokens, 8 rows)
  at += kOutBytes;
  const Panel p{reinterpret_cast<int8_t*>(at), reinterpret_cast<float*>(at + L.panel_codes),
                reinterpret_cast<float*>(at + L.panel_codes + L.panel_floats)};
  at += L.panel_codes + 2 * L.panel_floats;
  const int64_t n_groups = (n_tokens + kGroupTokens - 1) / kGroupTokens;
  const int64_t group_bytes = L.group_codes + 2 * L.group_floats;
  const auto group = [&](int64_t gi) {
    uint8_t* base = at + gi * group_bytes;
    return Group{reinterpret_cast<int8_t*>(base), reinterpret_cast<float*>(base + L.group_codes),
                 reinterpret_cast<float*>(base + L.group_codes + L.group_floats)};
  };
  const auto* xs = static_cast<const uint8_t*>(xq);
  for (int64_t gi = 0; gi < n_groups; ++gi) {
    const int64_t t0 = gi * kGroupTokens;
    pack_group<Act, S, G>(xs, x_stride, n, t0, std::min<int64_t>(kGroupTokens, n_tokens - t0), group(gi));
  }
  const auto* ws = static_cast<const uint8_t*>(w);
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kPanelRows) {
    const int64_t rows = std::min<int64_t>(kPanelRows, row_end - r0);
    pack_panel<Fmt, G>(ws + r0 * row_bytes, row_bytes, n, rows, p);
    for (int64_t gi = 0; gi < n_groups; ++gi) {
      Tile::template multiply<S, Fmt::kMin>(p, group(gi), n_sub, out);
      const int64_t t0 = gi * kGroupTokens;
      const int64_t count = std::min<int64_t>(kGroupTokens, n_tokens - t0);
      for (int64_t t = 0; t < count; ++t) {
        float* yt = y + (t0 + t) * y_stride + r0;
        if (rows == kPanelRows) {
          vst1q_f32(yt, vld1q_f32(out + t * kPanelRows));
          vst1q_f32(yt + 4, vld1q_f32(out + t * kPanelRows + 4));
        } else {
          for (int64_t r = 0; r < rows; ++r) yt[r] = out[t * kPanelRows + r];
        }
      }
    }
  }
}

} // namespace
} // namespace lathe::kernels::neon
