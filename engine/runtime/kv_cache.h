// The key/value cache: every layer's keys and values for positions
// 0 .. n_ctx - 1, in f32, allocated once when the session starts. The memory
// is not cleared: a position is always written before it is read, so pages of
// a long context are only touched as the context fills.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace lathe {

class KvCache {
 public:
  KvCache(int64_t n_layers, int64_t n_ctx, int64_t kv_dim);

  // Layer l's keys / values: (n_ctx, kv_dim), row p holding position p.
  float* keys(int64_t layer) { return k_.get() + layer * layer_stride(); }
  float* values(int64_t layer) { return v_.get() + layer * layer_stride(); }

  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  size_t bytes() const { return 2 * static_cast<size_t>(n_layers_ * layer_stride()) * sizeof(float); }

 private:
  int64_t layer_stride() const { return n_ctx_ * kv_dim_; }

  int64_t n_layers_;
  int64_t n_ctx_;
  int64_t kv_dim_;        // n_kv_heads * head_dim
  std::unique_ptr<float[]> k_; // (n_layers, n_ctx, kv_dim)
  std::unique_ptr<float[]> v_; // (n_layers, n_ctx, kv_dim)
};

} // namespace lathe
