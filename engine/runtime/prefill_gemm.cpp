#include "engine/runtime/prefill_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace lathe {
namespace {

// About 512 KiB of f32 weights per tile (a quarter of L2), and at least 16 rows.
constexpr int64_t kTileBytes = 512 * 1024;

int64_t dequantized_tile_rows(int64_t max_cols) {
  return std::max<int64_t>(16, kTileBytes / (4 * std::max<int64_t>(max_cols, 1)));
}

} // namespace

PrefillGemm::PrefillGemm(PrefillBackend backend, const kernels::KernelTable& k, int64_t max_cols,
                         int64_t max_tokens, int n_threads)
    : backend_(backend), kernels_(&k) {
  int64_t bytes = 0;
  if (backend == PrefillBackend::kNative) {
    if (k.gemm_scratch_bytes) bytes = k.gemm_scratch_bytes(max_cols, max_tokens);
  } else {
    tile_rows_ = dequantized_tile_rows(max_cols);
    bytes = tile_rows_ * max_cols * static_cast<int64_t>(sizeof(float));
  }
  stride_ = static_cast<size_t>((bytes + 63) / 64 * 64);
  scratch_.resize(stride_ * static_cast<size_t>(n_threads) + 64); // + 64: room to align each slice's start
}

void PrefillGemm::run(const WeightView& w, const kernels::LinearKernels& lk, const void* x, int64_t n_tokens, float* y,
                      int64_t y_stride, int64_t row_begin, int64_t row_end, int thread) {
  switch (backend_) {
    case PrefillBackend::kNative:
      if (lk.gemm) {
        lk.gemm(w.data, x, y, w.cols, n_tokens, y_stride, row_begin, row_end, scratch(thread));
      } else {
        lk.matmul(w.data, x, y, w.cols, n_tokens, y_stride, row_begin, row_end);
      }
      return;
    case PrefillBackend::kOpenBlas:
    case PrefillBackend::kEigen: {
      auto* base = reinterpret_cast<std::byte*>((reinterpret_cast<uintptr_t>(scratch(thread)) + 63) & ~uintptr_t{63});
      auto* tile = reinterpret_cast<float*>(base);
      const auto* xf = static_cast<const float*>(x);
      if (backend_ == PrefillBackend::kOpenBlas) {
        gemm_dequantized_openblas(*kernels_, w, xf, n_tokens, y, y_stride, row_begin, row_end, tile, tile_rows_);
      } else {
        gemm_dequantized_eigen(*kernels_, w, xf, n_tokens, y, y_stride, row_begin, row_end, tile, tile_rows_);
      }
      return;
    }
  }
  throw std::logic_error(fmt::format("prefill backend {} has no implementation", static_cast<int>(backend_)));
}

} // namespace lathe
