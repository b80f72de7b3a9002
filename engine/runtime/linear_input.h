// The input of the linear layers that read the same activations (Q, K and V
// read one normed x; gate and up read another): quantized once per format a
// weight type asks for, on first use, then reused by the other layers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"

namespace lathe {

class LinearInput {
 public:
  // Buffers for up to max_tokens rows of up to max_cols elements, every format.
  LinearInput(int64_t max_tokens, int64_t max_cols);

  // The activations that following get() calls return: x is (n_tokens, n)
  // floats and must stay unchanged until the next set(). Forgets earlier
  // quantizations. PRECONDITION: n_tokens <= max_tokens, n <= max_cols.
  void set(const float* x, int64_t n_tokens, int64_t n);

  // x in `type`: n_tokens rows of activation_row_bytes(type, n) bytes (for
  // kF32, x itself). Quantizes with the table's kernel on the first request.
  const void* get(kernels::ActivationType type, const kernels::KernelTable& k);

  int64_t n_tokens() const { return n_tokens_; }
  int64_t n() const { return n_; }

 private:
  static constexpr size_t kFormats = 4; // one per ActivationType

  int64_t max_tokens_;
  int64_t max_cols_;
  const float* x_ = nullptr; // (n_tokens, n)
  int64_t n_tokens_ = 0;
  int64_t n_ = 0;
  std::array<std::vector<std::byte>, kFormats> rows_; // per format: (max_tokens, row bytes of max_cols)
  std::array<bool, kFormats> ready_{};
};

} // namespace lathe
