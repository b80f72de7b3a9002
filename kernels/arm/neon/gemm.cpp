// Prefill GEMM: a chunk of tokens times a quantized weight matrix, NEON with
// the dot-product extension (sdot), for every weight type of the default
// models (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K). The i8mm variant
// (smmla) is gemm_i8mm.cpp; both share the formats, packing and loops of
// gemm_panels.h, whose opening comment gives the arithmetic.
//
// Layout (G = 4). A panel of 8 weight rows is unpacked once per call to int8
// codes, (n_sub, S / 4 quads, 8 rows, 4 bytes): one quad of the sub-block is
// two registers, rows 0..3 and rows 4..7, four bytes per row. The tokens are
// packed once per call in groups of 4, (n_sub, S / 4, 4 tokens, 4 bytes): one
// register per quad, four bytes per token. Every panel meets every group.
//
// Register tile: 8 rows x 4 tokens. sdot by element,
//   isum[h][t] += w_quad_h . x_quad lane t   (vdotq_laneq_s32)
// adds to lane i the four byte products of row 4h + i with token t, so a
// quad costs 3 loads and 8 sdot, and isum[h][t] holds rows 4h..4h+3 of token
// t. After the sub-block's S / 4 quads the integer sums are folded into float
// accumulators of the same shape:
//   acc[h][t] += (float(isum[h][t]) * ws[rows 4h..4h+3]) * dx[t]
//   acc[h][t] += wm[rows 4h..4h+3] * xm[t]          (formats with a minimum)
// 8 int32 + 8 float accumulators, 3 operands and 3 to 6 scale registers
// stay within the 32 vector registers.
//
// Against the scalar reference: every isum is the same integer; the float
// products and sums run in another order (per sub-block).

#include <arm_neon.h>

#include <cstdint>

#include "kernels/arm/neon/gemm_panels.h"
#include "kernels/arm/neon/neon_kernels.h"

namespace lathe::kernels::neon {
namespace {

struct DotprodTile {
  static constexpr int kGrain = 4;

  // isum[t] += lane i: row i of w . token t of x, for the four tokens.
  static inline void dot_4_tokens(int32x4_t* isum, int8x16_t w, int8x16_t x) {
    isum[0] = vdotq_laneq_s32(isum[0], w, x, 0);
    isum[1] = vdotq_laneq_s32(isum[1], w, x, 1);
    isum[2] = vdotq_laneq_s32(isum[2], w, x, 2);
    isum[3] = vdotq_laneq_s32(isum[3], w, x, 3);
  }

  // acc[t] += (float(isum[t]) * ws) * dx[t], for the four tokens.
  static inline void fold_4_tokens(float32x4_t* acc, const int32x4_t* isum, float32x4_t ws, float32x4_t dx) {
    acc[0] = vfmaq_laneq_f32(acc[0], vmulq_f32(vcvtq_f32_s32(isum[0]), ws), dx, 0);
    acc[1] = vfmaq_laneq_f32(acc[1], vmulq_f32(vcvtq_f32_s32(isum[1]), ws), dx, 1);
    acc[2] = vfmaq_laneq_f32(acc[2], vmulq_f32(vcvtq_f32_s32(isum[2]), ws), dx, 2);
    acc[3] = vfmaq_laneq_f32(acc[3], vmulq_f32(vcvtq_f32_s32(isum[3]), ws), dx, 3);
  }

  // acc[t] += wm * xm[t], for the four tokens.
  static inline void add_min_4_tokens(float32x4_t* acc, float32x4_t wm, float32x4_t xm) {
    acc[0] = vfmaq_laneq_f32(acc[0], wm, xm, 0);
    acc[1] = vfmaq_laneq_f32(acc[1], wm, xm, 1);
    acc[2] = vfmaq_laneq_f32(acc[2], wm, xm, 2);
    acc[3] = vfmaq_laneq_f32(acc[3], wm, xm, 3);
  }

  // out (4 tokens, 8 rows) = the panel times the group.
  template <int S, bool kMin>
  static void multiply(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
    constexpr int kQuads = S / 4;
    float32x4_t acc[2][4];
    for (auto& a : acc) {
      for (auto& v : a) v = vdupq_n_f32(0.0f);
    }
    for (int64_t s = 0; s < n_sub; ++s) {
      const int8_t* wc = p.codes + s * kPanelRows * S;   // (quads, 8 rows, 4 bytes)
      const int8_t* xc = g.codes + s * kGroupTokens * S; // (quads, 4 tokens, 4 bytes)
      int32x4_t isum[2][4];
      for (auto& a : isum) {
        for (auto& v : a) v = vdupq_n_s32(0);
      }
#pragma GCC unroll 8
      for (int qd = 0; qd < kQuads; ++qd) {
        const int8x16_t x = vld1q_s8(xc + 16 * qd);
        dot_4_tokens(isum[0], vld1q_s8(wc + 32 * qd), x);      // rows 0..3
        dot_4_tokens(isum[1], vld1q_s8(wc + 32 * qd + 16), x); // rows 4..7
      }
      const float32x4_t dx = vld1q_f32(g.dx + s * kGroupTokens);
      fold_4_tokens(acc[0], isum[0], vld1q_f32(p.ws + s * kPanelRows), dx);
      fold_4_tokens(acc[1], isum[1], vld1q_f32(p.ws + s * kPanelRows + 4), dx);
      if constexpr (kMin) {
        const float32x4_t xm = vld1q_f32(g.xm + s * kGroupTokens);
        add_min_4_tokens(acc[0], vld1q_f32(p.wm + s * kPanelRows), xm);
        add_min_4_tokens(acc[1], vld1q_f32(p.wm + s * kPanelRows + 4), xm);
      }
    }
    for (int t = 0; t < kGroupTokens; ++t) {
      vst1q_f32(out + t * kPanelRows, acc[0][t]);
      vst1q_f32(out + t * kPanelRows + 4, acc[1][t]);
    }
  }
};

} // namespace

int64_t gemm_scratch_bytes(int64_t n, int64_t n_tokens) { return scratch_bytes(n, n_tokens); }

void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_0, ActQ8_0, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_1, ActQ8_1, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_0, ActQ8_0, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_1, ActQ8_1, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ8_0, ActQ8_0, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<false>, ActQ8_K, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<true>, ActQ8_K, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ6_K, ActQ8_K, DotprodTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}

} // namespace lathe::kernels::neon
