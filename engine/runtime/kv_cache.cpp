#include "engine/runtime/kv_cache.h"

namespace lathe {

KvCache::KvCache(int64_t n_layers, int64_t n_rows, int64_t kv_dim, kernels::KvType type, bool huge_pages)
    : type_(type),
      n_layers_(n_layers),
      n_rows_(n_rows),
      kv_dim_(kv_dim),
      row_bytes_(kernels::kv_row_bytes(type, kv_dim)),
      k_(static_cast<size_t>(n_layers * n_rows * row_bytes_), huge_pages),
      v_(static_cast<size_t>(n_layers * n_rows * row_bytes_), huge_pages) {}

} // namespace lathe
