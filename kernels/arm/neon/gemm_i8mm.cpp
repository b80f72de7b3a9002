// Prefill GEMM with the int8 matrix multiply (i8mm: smmla), for the same
// weight types as gemm.cpp and with the same packing (gemm_panels.h), in
// namespace neon::i8mm. Compiled only with LATHE_NEON_I8MM=ON, whose flags
// add +i8mm: Apple M2 and later have it, M1 does not.
//
// smmla (vmmlaq_s32) multiplies a 2x8 int8 matrix by an 8x2 one into a 2x2
// int32 block: with a = (row r0: 8 bytes, row r1: 8 bytes) and
// b = (token t0: 8 bytes, token t1: 8 bytes),
//   acc += (r0.t0, r0.t1, r1.t0, r1.t1)
// 32 multiply-adds per instruction, twice sdot's 16.
//
// Layout (G = 8). The panel's codes are (n_sub, S / 8 octets, 8 rows,
// 8 bytes): the 16 bytes at row pair p are exactly the 2x8 operand of rows
// 2p, 2p + 1; the group's are (n_sub, S / 8, 4 tokens, 8 bytes), the operand
// of token pair 2q, 2q + 1 at 16 q. Both are packed once per call, as for sdot.
//
// Register tile: 8 rows x 4 tokens = 4 row pairs x 2 token pairs, one int32
// 2x2 block each (8 registers); an octet costs 6 loads and 8 smmla. After the
// sub-block's S / 8 octets the blocks are folded into float accumulators of
// the same shape, with the scales spread to the lanes of a 2x2 block:
//   ws (r0, r0, r1, r1) = vzip1q(ws, ws)      dx (t0, t1, t0, t1) = low half twice
//   acc[p][q] += float(isum[p][q]) * (ws_p * dx_q)
//   acc[p][q] += wm_p * xm_q                   (formats with a minimum)
// and at the end unzipped to (4 tokens, 8 rows): token t0 of rows r0..r3 is
// lanes 0 and 2 of two row pairs (vuzp1q), token t1 lanes 1 and 3 (vuzp2q).
//
// Against the scalar reference: every isum is the same integer; the float
// products and sums run in another order (per sub-block).

#include <arm_neon.h>

#include <cstdint>

#include "kernels/arm/neon/gemm_panels.h"
#include "kernels/arm/neon/neon_kernels.h"

#ifndef __ARM_FEATURE_MATMUL_INT8
#error "gemm_i8mm.cpp needs the i8mm extension (-march=...+i8mm, LATHE_NEON_I8MM=ON)"
#endif

namespace lathe::kernels::neon::i8mm {
namespace {

struct MmlaTile {
  static constexpr int kGrain = 8;

  // Four floats of one row quad (r0..r3) as the row lanes of two 2x2 blocks:
  // pair[0] = (r0, r0, r1, r1), pair[1] = (r2, r2, r3, r3).
  static inline void row_pairs(float32x4_t v, float32x4_t* pair) {
    pair[0] = vzip1q_f32(v, v);
    pair[1] = vzip2q_f32(v, v);
  }
  // Four floats of the tokens (t0..t3) as the token lanes of two 2x2 blocks:
  // pair[0] = (t0, t1, t0, t1), pair[1] = (t2, t3, t2, t3).
  static inline void token_pairs(float32x4_t v, float32x4_t* pair) {
    pair[0] = vcombine_f32(vget_low_f32(v), vget_low_f32(v));
    pair[1] = vcombine_f32(vget_high_f32(v), vget_high_f32(v));
  }

  // out (4 tokens, 8 rows) = the panel times the group.
  template <int S, bool kMin>
  static void multiply(const Panel& p, const Group& g, int64_t n_sub, float* __restrict out) {
    constexpr int kOctets = S / 8;
    float32x4_t acc[4][2]; // [row pair][token pair], lanes (r0 t0, r0 t1, r1 t0, r1 t1)
    for (auto& a : acc) {
      for (auto& v : a) v = vdupq_n_f32(0.0f);
    }
    for (int64_t s = 0; s < n_sub; ++s) {
      const int8_t* wc = p.codes + s * kPanelRows * S;   // (octets, 8 rows, 8 bytes)
      const int8_t* xc = g.codes + s * kGroupTokens * S; // (octets, 4 tokens, 8 bytes)
      int32x4_t isum[4][2];
      for (auto& a : isum) {
        for (auto& v : a) v = vdupq_n_s32(0);
      }
#pragma GCC unroll 4
      for (int o = 0; o < kOctets; ++o) {
        const int8x16_t x0 = vld1q_s8(xc + 32 * o);      // tokens 0, 1
        const int8x16_t x1 = vld1q_s8(xc + 32 * o + 16); // tokens 2, 3
#pragma GCC unroll 4
        for (int rp = 0; rp < 4; ++rp) {
          const int8x16_t w = vld1q_s8(wc + 64 * o + 16 * rp); // rows 2rp, 2rp + 1
          isum[rp][0] = vmmlaq_s32(isum[rp][0], w, x0);
          isum[rp][1] = vmmlaq_s32(isum[rp][1], w, x1);
        }
      }
      float32x4_t ws[4];
      float32x4_t dx[2];
      row_pairs(vld1q_f32(p.ws + s * kPanelRows), ws);
      row_pairs(vld1q_f32(p.ws + s * kPanelRows + 4), ws + 2);
      token_pairs(vld1q_f32(g.dx + s * kGroupTokens), dx);
#pragma GCC unroll 4
      for (int rp = 0; rp < 4; ++rp) {
        acc[rp][0] = vfmaq_f32(acc[rp][0], vcvtq_f32_s32(isum[rp][0]), vmulq_f32(ws[rp], dx[0]));
        acc[rp][1] = vfmaq_f32(acc[rp][1], vcvtq_f32_s32(isum[rp][1]), vmulq_f32(ws[rp], dx[1]));
      }
      if constexpr (kMin) {
        float32x4_t wm[4];
        float32x4_t xm[2];
        row_pairs(vld1q_f32(p.wm + s * kPanelRows), wm);
        row_pairs(vld1q_f32(p.wm + s * kPanelRows + 4), wm + 2);
        token_pairs(vld1q_f32(g.xm + s * kGroupTokens), xm);
#pragma GCC unroll 4
        for (int rp = 0; rp < 4; ++rp) {
          acc[rp][0] = vfmaq_f32(acc[rp][0], wm[rp], xm[0]);
          acc[rp][1] = vfmaq_f32(acc[rp][1], wm[rp], xm[1]);
        }
      }
    }
    for (int tp = 0; tp < 2; ++tp) {
      for (int h = 0; h < 2; ++h) { // rows 4h..4h+3 = row pairs 2h, 2h + 1
        const float32x4_t a = acc[2 * h][tp];
        const float32x4_t b = acc[2 * h + 1][tp];
        vst1q_f32(out + (2 * tp) * kPanelRows + 4 * h, vuzp1q_f32(a, b));     // token 2tp: lanes 0, 2
        vst1q_f32(out + (2 * tp + 1) * kPanelRows + 4 * h, vuzp2q_f32(a, b)); // token 2tp + 1: lanes 1, 3
      }
    }
  }
};

} // namespace

void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_0, ActQ8_0, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ4_1, ActQ8_1, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_0, ActQ8_0, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ5_1, ActQ8_1, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ8_0, ActQ8_0, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<false>, ActQ8_K, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ45_K<true>, ActQ8_K, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch) {
  gemm<FmtQ6_K, ActQ8_K, MmlaTile>(w, xq, y, n, n_tokens, y_stride, row_begin, row_end, scratch);
}

} // namespace lathe::kernels::neon::i8mm
