#include "engine/runtime/kv_cache.h"

namespace lathe {

KvCache::KvCache(int64_t n_layers, int64_t n_ctx, int64_t kv_dim)
    : n_layers_(n_layers),
      n_ctx_(n_ctx),
      kv_dim_(kv_dim),
      k_(new float[static_cast<size_t>(n_layers * n_ctx * kv_dim)]),
      v_(new float[static_cast<size_t>(n_layers * n_ctx * kv_dim)]) {}

} // namespace lathe
