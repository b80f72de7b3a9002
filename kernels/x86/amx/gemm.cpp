// Prefill GEMM on the AMX tile unit (tdpbssd): the weight formats, panels,
// groups and driver of the AVX-512 VNNI kernel (kernels/x86/avx512/gemm.cpp,
// whose opening comment gives the sums; the shared parts are in
// kernels/x86/avx512/gemm_formats.h), with the integer products of each
// (16 rows, 16 tokens, sub-block) on tiles instead of vpdpbusd.
//
// Tiles. Per sub-block s of S elements (32, or 16 for Q6_K):
//   tmm1  A: the panel's codes of s, (16 rows, S bytes) signed, straight from
//            the panel (codes (n_sub, 16 rows, S): row stride S)
//   tmm2  B: the group's codes of s, (S / 4 rows, 16 tokens x 4 bytes) signed,
//            straight from the group ((n_sub, S / 4, 16 lanes, 4 bytes): the
//            pairs-of-four layout tdpbssd wants; x kept signed, kXor = 0)
//   tmm0  C: isum (16 rows, 16 tokens) int32 = A B, zeroed first
// The sums of different sub-blocks cannot share a C tile: each has its own
// float scale ws[r][s] * dx[t][s], and K = 64 bytes would add two sub-blocks
// before the scale could be applied. So K is exactly one sub-block, and C is
// stored (1 KiB) after every tdpbssd and read back row by row into the float
// accumulators: acc[r] += float(isum[r]) * (ws[r] * dx) (+ wm[r] * xm), the
// same AVX-512 instructions, in the same order, as the VNNI kernel; the
// integer sums are the same integers, so the two kernels agree bit for bit.
// Two sub-blocks are in flight (C tiles tmm0 / tmm3, A tmm1 / tmm4, B tmm2 /
// tmm5, two C buffers), so the tile unit computes sub-block s + 1 while the
// vector unit scales sub-block s.
//
// Cost. Per (16 rows, 16 tokens, sub-block) the vector work is 16 x (load,
// convert, multiply, fused add), about a third of the VNNI kernel's (whose
// 16 x S / 4 vpdpbusd go to the tile unit). What bounds the kernel is the tile
// traffic: two tile loads, a tdpbssd at half its depth (K = 32 of 64 bytes;
// 16 for Q6_K) and a 1 KiB tile store per sub-block. Measured on the
// reference machine (a loaded VM) a tile store costs about 35-50 cycles and a
// tdpbssd of K = 32 about 28; with the scaling removed the kernel reached only
// about 1.2 x its speed with it. Blocking 2 panels x 2 groups (4 C tiles, 2 A,
// 2 B: all 8 tiles) to share the tile loads and overlap more tdpbssd was tried
// and was no faster. The way past this is fewer stores per product, i.e. K
// beyond one sub-block, possible only where an integer sub-block scale can be
// folded into int8 codes (Q4_K: 4-bit codes times either 3-bit half of the
// 6-bit scale stay below 128, so two C tiles could sum a whole super-block);
// not done.
//
// Tile configuration: per call (it depends on S), loaded with ldtilecfg at the
// start and released (tilerelease) at the end, on the calling thread; the
// permission to use the tile data is per process (amx_support.cpp).

#include "kernels/x86/intrinsics.h"

#include <cstdint>
#include <cstring>

#include "kernels/x86/amx/amx_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/gemm_formats.h"

namespace lathe::kernels::amx {
namespace {

using namespace avx512::gemm_parts; // NOLINT(google-build-using-namespace): the shared GEMM parts

// The 64-byte ldtilecfg operand, palette 1.
struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16]; // bytes per row of tile i
  uint8_t rows[16];   // rows of tile i
};
static_assert(sizeof(TileConfig) == 64);

// Loads the configuration for sub-blocks of S elements: tmm0 / tmm3 C, tmm1 /
// tmm4 A, tmm2 / tmm5 B.
template <int S>
void load_tile_config() {
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (const int c : {0, 3}) {
    cfg.rows[c] = kPanelRows;
    cfg.colsb[c] = kGroupTokens * 4;
  }
  for (const int a : {1, 4}) {
    cfg.rows[a] = kPanelRows;
    cfg.colsb[a] = S;
  }
  for (const int b : {2, 5}) {
    cfg.rows[b] = S / 4;
    cfg.colsb[b] = kGroupTokens * 4;
  }
  // GCC 12 does not see that ldtilecfg reads the 64 bytes behind its pointer
  // and drops the stores of the loops above as dead: without the next line,
  // GCC 12.2 at -O3 (Release) keeps only the zeroing and the palette byte, every tile is
  // left with 0 rows and the first tileloadd raises SIGILL. The empty asm
  // takes the address and clobbers memory, so every store must be done before it.
  __asm__ volatile("" : : "r"(&cfg) : "memory");
  _tile_loadconfig(&cfg);
}

// acc[r] += float(isum[r]) * (ws[r] * dx) (+ wm[r] * xm): sub-block s from
// the stored C tile c (16 rows of 16 int32), as the VNNI kernel does.
template <bool kMin>
inline void scale_add(const int32_t* __restrict c, const Panel& p, const Group& g, int64_t s, __m512* acc) {
  const __m512 dx = _mm512_load_ps(g.dx + s * kGroupTokens);
  const float* ws = p.ws + s * kPanelRows;
#pragma GCC unroll 16
  for (int r = 0; r < kPanelRows; ++r) {
    const __m512i isum = _mm512_load_si512(c + r * kGroupTokens);
    acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(_mm512_set1_ps(ws[r]), dx), acc[r]);
  }
  if constexpr (kMin) {
    const __m512 xm = _mm512_load_ps(g.xm + s * kGroupTokens);
    const float* wm = p.wm + s * kPanelRows;
#pragma GCC unroll 16
    for (int r = 0; r < kPanelRows; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(wm[r]), xm, acc[r]);
  }
}

// out (16 rows, 16 tokens) = the panel times the group, two sub-blocks at a time.
template <int S, bool kMin>
void amx_panel_times_group(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
  constexpr int kABytes = kPanelRows * S;             // one sub-block of the panel
  constexpr int kBBytes = (S / 4) * kGroupTokens * 4; // one sub-block of the group
  alignas(64) int32_t c0[kPanelRows * kGroupTokens];
  alignas(64) int32_t c1[kPanelRows * kGroupTokens];
  __m512 acc[kPanelRows];
  for (int r = 0; r < kPanelRows; ++r) acc[r] = _mm512_setzero_ps();
  int64_t s = 0;
  for (; s + 2 <= n_sub; s += 2) {
    _tile_zero(0);
    _tile_zero(3);
    _tile_loadd(1, p.codes + s * kABytes, S);
    _tile_loadd(2, g.codes + s * kBBytes, kGroupTokens * 4);
    _tile_loadd(4, p.codes + (s + 1) * kABytes, S);
    _tile_loadd(5, g.codes + (s + 1) * kBBytes, kGroupTokens * 4);
    _tile_dpbssd(0, 1, 2); // C0[r][t] = sum_k A(s)[r][k] * B(s)[k / 4][4 t + k % 4]
    _tile_dpbssd(3, 4, 5); // C1: sub-block s + 1
    _tile_stored(0, c0, kGroupTokens * 4);
    _tile_stored(3, c1, kGroupTokens * 4);
    scale_add<kMin>(c0, p, g, s, acc);
    scale_add<kMin>(c1, p, g, s + 1, acc);
  }
  if (s < n_sub) { // an odd count of sub-blocks: the last one alone
    _tile_zero(0);
    _tile_loadd(1, p.codes + s * kABytes, S);
    _tile_loadd(2, g.codes + s * kBBytes, kGroupTokens * 4);
    _tile_dpbssd(0, 1, 2);
    _tile_stored(0, c0, kGroupTokens * 4);
    scale_add<kMin>(c0, p, g, s, acc);
  }
  for (int r = 0; r < kPanelRows; ++r) _mm512_store_ps(out + r * kGroupTokens, acc[r]);
}

// The AMX unit for gemm_panels: signed x (tdpbssd), so no -128 correction.
struct Amx {
  static constexpr uint32_t kXor = 0;
  template <int S, bool kMin>
  static void panel_times_group(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
    amx_panel_times_group<S, kMin>(p, g, n_sub, out);
  }
};

template <class Fmt, class Act>
void gemm(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
          int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  load_tile_config<Fmt::kSub>();
  gemm_panels<Fmt, Act, Amx>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
  _tile_release();
}

} // namespace

void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_0, ActQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_1, ActQ8_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_0, ActQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_1, ActQ8_1>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ8_0, ActQ8_0>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<false>, ActQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<true>, ActQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ6_K, ActQ8_K>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}

void use_amx_gemm(KernelTable& t) {
  t.q4_0.gemm = gemm_q4_0_q8_0;
  t.q4_1.gemm = gemm_q4_1_q8_1;
  t.q5_0.gemm = gemm_q5_0_q8_0;
  t.q5_1.gemm = gemm_q5_1_q8_1;
  t.q8_0.gemm = gemm_q8_0_q8_0;
  t.q4_k.gemm = gemm_q4_k_q8_k;
  t.q5_k.gemm = gemm_q5_k_q8_k;
  t.q6_k.gemm = gemm_q6_k_q8_k;
  t.gemm_scratch_bytes = avx512::gemm_scratch_bytes; // the shared layout
  t.gemm_unit = "amx";
}

} // namespace lathe::kernels::amx
