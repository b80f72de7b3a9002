// Prefill (matmul) built from a decode kernel (matvec), for the x86 variants.
//
// The rows are cut into tiles small enough to stay in L2; each tile meets
// every token of the chunk before the next tile is read, so the weights come
// from memory once per chunk. Every entry is the matvec kernel's own result,
// so a token's outputs do not depend on the chunk it was computed in.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace lathe::kernels::x86 {

// Y[t][r] = Matvec(W row r, X row t) for t in [0, n_tokens), r in [row_begin, row_end).
//   row_bytes: bytes of one weight row; kActivation: the format of X's rows.
template <MatvecFn Matvec, ActivationType kActivation>
void matmul_by_row_tiles(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                         int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end,
                         int64_t row_bytes) {
  constexpr int64_t kTileBytes = 256 * 1024; // an eighth of a 2 MiB L2: room for X and Y beside it
  const int64_t tile_rows = std::max<int64_t>(16, kTileBytes / std::max<int64_t>(row_bytes, 1));
  const int64_t x_stride = activation_row_bytes(kActivation, n);
  const auto* xs = static_cast<const uint8_t*>(xq);
  for (int64_t r0 = row_begin; r0 < row_end; r0 += tile_rows) {
    const int64_t r1 = std::min(row_end, r0 + tile_rows);
    for (int64_t t = 0; t < n_tokens; ++t) Matvec(w, xs + t * x_stride, y + t * y_stride, n, r0, r1);
  }
}

} // namespace lathe::kernels::x86
