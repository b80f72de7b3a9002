// The eigen prefill backend: weight tiles dequantized to f32 by the kernel
// table, multiplied by Eigen's GEMM on the calling thread. This file is
// compiled with the kernel ISA's flags (engine/CMakeLists.txt): Eigen picks
// its vector code from them.

// The session's threads split the rows; Eigen must not start its own.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <algorithm>

#include "engine/runtime/prefill_gemm.h"

namespace lathe {

void gemm_dequantized_eigen(const kernels::KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens,
                            float* y, int64_t y_stride, int64_t row_begin, int64_t row_end, float* tile,
                            int64_t tile_rows) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t n = w.cols;
  const Eigen::Map<const RowMajor> X(x, n_tokens, n); // (n_tokens, n)
  for (int64_t r0 = row_begin; r0 < row_end; r0 += tile_rows) {
    const int64_t rows = std::min(tile_rows, row_end - r0);
    for (int64_t r = 0; r < rows; ++r) k.dequantize_row(w.type, w.row(r0 + r), tile + r * n, n);
    const Eigen::Map<const RowMajor> T(tile, rows, n); // (rows, n)
    Eigen::Map<RowMajor, 0, Eigen::OuterStride<>> Y(y + r0, n_tokens, rows, Eigen::OuterStride<>(y_stride));
    Y.noalias() = X * T.transpose();
  }
}

} // namespace lathe
