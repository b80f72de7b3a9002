// The openblas prefill backend: weight tiles dequantized to f32 by the kernel
// table, multiplied by OpenBLAS sgemm on the calling thread.

#include <cblas.h>

#include <algorithm>
#include <mutex>

#include "engine/runtime/prefill_gemm.h"

namespace lathe {

void gemm_dequantized_openblas(const kernels::KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens,
                               float* y, int64_t y_stride, int64_t row_begin, int64_t row_end, float* tile,
                               int64_t tile_rows) {
  // The session's threads split the rows; OpenBLAS must not start its own.
  static std::once_flag single_threaded;
  std::call_once(single_threaded, [] { openblas_set_num_threads(1); });
  const int64_t n = w.cols;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += tile_rows) {
    const int64_t rows = std::min(tile_rows, row_end - r0);
    for (int64_t r = 0; r < rows; ++r) k.dequantize_row(w.type, w.row(r0 + r), tile + r * n, n);
    // y[:, r0:r0+rows] (n_tokens, rows) = x (n_tokens, n) * tile^T (n, rows)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(n_tokens), static_cast<blasint>(rows),
                static_cast<blasint>(n), 1.0f, x, static_cast<blasint>(n), tile, static_cast<blasint>(n), 0.0f,
                y + r0, static_cast<blasint>(y_stride));
  }
}

} // namespace lathe
