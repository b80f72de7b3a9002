// Prefill GEMM: a chunk of tokens times a quantized weight matrix, AVX-512
// VNNI, for every weight type of the default models (Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q4_K, Q5_K, Q6_K).
//
// Every format is seen as sub-blocks of S = 32 (or 16, Q6_K) elements with
// signed int8 codes c, a float scale ws and, for formats with a minimum, a
// float minimum term wm per (row, sub-block). The activations are the
// formats' own Q8 blocks: codes x, a float scale dx and, for the minimum,
// xm = dx * sum(x) per (token, sub-block). Then
//   Y[t][r] = sum_s  ws[r][s] * dx[t][s] * isum[r][t][s]  +  wm[r][s] * xm[t][s]
// with isum = sum of c * x over the sub-block, in int32 (exact).
//
// Tiling. The rows go in panels of 16: a panel is unpacked once to int8 codes
// (codes (n_sub, 16 rows, S), scales (n_sub, 16)) and then meets every token
// of the chunk. The tokens go in groups of 16, one per 32-bit lane, made
// once per call: the x codes of sub-block s as (S / 4, 16 lanes, 4 bytes),
// turned unsigned (x + 128) for vpdpbusd, whose unsigned operand they are;
// the weight's four codes are the broadcast signed operand. The 128 comes
// back as -128 * sum(c) per (row, sub-block), the start of each integer sum.
// The register tile is 16 rows x 16 tokens (16 zmm accumulators), with the S/4
// x registers of the sub-block reused by the 16 rows.
//
// The formats, the panel and group layouts and the driver are shared with the
// AMX kernel (kernels/x86/avx512/gemm_formats.h); this file holds the VNNI
// products only.
//
// Against the scalar reference: every isum is the same integer; the float
// products and sums run in another order (per sub-block, scale products
// formed per row and token).

#include "kernels/x86/intrinsics.h"

#include <cstdint>
#include <cstring>

#include "kernels/x86/avx512/avx512_kernels.h"
#include "kernels/x86/avx512/gemm_formats.h"

namespace lathe::kernels::avx512 {
namespace {

using namespace gemm_parts; // NOLINT(google-build-using-namespace): this file's own parts

inline __m512i bcast_i32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// out (16 rows, 16 tokens) = the panel times the group.
template <int S, bool kMin>
void vnni_panel_times_group(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
  constexpr int kQuads = S / 4;
  __m512 acc[kPanelRows];
  for (int r = 0; r < kPanelRows; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t s = 0; s < n_sub; ++s) {
    __m512i xa[kQuads];
    for (int qd = 0; qd < kQuads; ++qd) xa[qd] = _mm512_load_si512(g.codes + (s * kQuads + qd) * 64);
    const __m512 dx = _mm512_load_ps(g.dx + s * kGroupTokens);
    const int8_t* wc = p.codes + s * kPanelRows * S;
    const float* ws = p.ws + s * kPanelRows;
    const int32_t* corr = p.corr + s * kPanelRows;
#pragma GCC unroll 16
    for (int r = 0; r < kPanelRows; ++r) {
      __m512i isum = _mm512_set1_epi32(corr[r]);
#pragma GCC unroll 8
      for (int qd = 0; qd < kQuads; ++qd) isum = _mm512_dpbusd_epi32(isum, xa[qd], bcast_i32(wc + r * S + 4 * qd));
      // acc[r][t] += isum[t] * (ws[r] * dx[t])
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(_mm512_set1_ps(ws[r]), dx), acc[r]);
    }
    if constexpr (kMin) {
      const __m512 xm = _mm512_load_ps(g.xm + s * kGroupTokens);
      const float* wm = p.wm + s * kPanelRows;
#pragma GCC unroll 16
      for (int r = 0; r < kPanelRows; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(wm[r]), xm, acc[r]);
    }
  }
  for (int r = 0; r < kPanelRows; ++r) _mm512_store_ps(out + r * kGroupTokens, acc[r]);
}

// The VNNI unit for gemm_panels: x + 128 as vpdpbusd's unsigned operand.
struct Vnni {
  static constexpr uint32_t kXor = 0x80808080u;
  template <int S, bool kMin>
  static void panel_times_group(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
    vnni_panel_times_group<S, kMin>(p, g, n_sub, out);
  }
};

} // namespace

int64_t gemm_scratch_bytes(int64_t n, int64_t n_tokens) { return gemm_parts::gemm_scratch_bytes_for(n, n_tokens); }

void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ4_0, ActQ8_0, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ4_1, ActQ8_1, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ5_0, ActQ8_0, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ5_1, ActQ8_1, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ8_0, ActQ8_0, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ45_K<false>, ActQ8_K, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ45_K<true>, ActQ8_K, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm_panels<FmtQ6_K, ActQ8_K, Vnni>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}

} // namespace lathe::kernels::avx512
