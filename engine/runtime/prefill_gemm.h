// Who multiplies the weights by a prefill chunk (prefill.backend):
//   native    the kernel table's GEMM (int8: each weight tile unpacked once
//             for all the tokens of the chunk), or its matmul for weight
//             types without one
//   openblas  weight tiles dequantized to f32, then OpenBLAS sgemm
//   eigen     the same tiles through Eigen's GEMM
// Each thread owns a slice of the scratch, sized once for the session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/config/config.h"
#include "engine/model/model_weights.h"
#include "kernels/kernel_table.h"

namespace lathe {

// Y (n_tokens, rows [row_begin, row_end) of y, row stride y_stride) =
// X (n_tokens, n) W^T for an f32 x, w's tiles dequantized into tile (tile_rows, n).
void gemm_dequantized_openblas(const kernels::KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens,
                               float* y, int64_t y_stride, int64_t row_begin, int64_t row_end, float* tile,
                               int64_t tile_rows);
void gemm_dequantized_eigen(const kernels::KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens,
                            float* y, int64_t y_stride, int64_t row_begin, int64_t row_end, float* tile,
                            int64_t tile_rows);

class PrefillGemm {
 public:
  // For rows of at most max_cols elements and chunks of at most max_tokens.
  PrefillGemm(PrefillBackend backend, const kernels::KernelTable& k, int64_t max_cols, int64_t max_tokens,
              int n_threads);

  PrefillBackend backend() const { return backend_; }
  // openblas and eigen read the activations as f32; native reads them quantized.
  bool wants_f32() const { return backend_ != PrefillBackend::kNative; }

  // Y[t][r] for t in [0, n_tokens), r in [row_begin, row_end), on thread `thread`:
  //   native: xq in lk.activation's format; otherwise x in f32.
  void run(const WeightView& w, const kernels::LinearKernels& lk, const void* x, int64_t n_tokens, float* y,
           int64_t y_stride, int64_t row_begin, int64_t row_end, int thread);

  size_t memory_bytes() const { return scratch_.size(); }

 private:
  void* scratch(int thread) { return scratch_.data() + static_cast<size_t>(thread) * stride_; }

  PrefillBackend backend_;
  const kernels::KernelTable* kernels_;
  int64_t tile_rows_ = 0;           // openblas / eigen: weight rows dequantized at a time
  size_t stride_ = 0;               // bytes of one thread's scratch
  std::vector<std::byte> scratch_;  // (n_threads, stride_)
};

} // namespace lathe
