#include "engine/runtime/linear_input.h"

#include <cassert>

namespace lathe {

using kernels::ActivationType;

LinearInput::LinearInput(int64_t max_tokens, int64_t max_cols) : max_tokens_(max_tokens), max_cols_(max_cols) {
  // Rounded up to whole Q8_K super-blocks, the largest block of any format.
  const int64_t cols = (max_cols + kernels::kQKK - 1) / kernels::kQKK * kernels::kQKK;
  for (ActivationType t : {ActivationType::kQ8_0, ActivationType::kQ8_1, ActivationType::kQ8_K}) {
    rows_[static_cast<size_t>(t)].resize(static_cast<size_t>(max_tokens * kernels::activation_row_bytes(t, cols)));
  }
}

void LinearInput::set(const float* x, int64_t n_tokens, int64_t n) {
  assert(n_tokens <= max_tokens_ && n <= max_cols_);
  x_ = x;
  n_tokens_ = n_tokens;
  n_ = n;
  ready_.fill(false);
}

const void* LinearInput::get(ActivationType type, const kernels::KernelTable& k) {
  if (type == ActivationType::kF32) return x_;
  const size_t i = static_cast<size_t>(type);
  std::byte* out = rows_[i].data();
  if (!ready_[i]) {
    const kernels::QuantizeRowFn quantize = k.quantizer(type);
    const int64_t row_bytes = kernels::activation_row_bytes(type, n_);
    for (int64_t t = 0; t < n_tokens_; ++t) quantize(x_ + t * n_, out + t * row_bytes, n_);
    ready_[i] = true;
  }
  return out;
}

} // namespace lathe
