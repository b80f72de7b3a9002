// The key/value cache: every layer's keys and values, one row per position,
// in the cache's element type (kernels/kv_types.h: f32, f16, q8_0, q4_0),
// allocated once when the session starts. A row is written once, when its
// position is evaluated, and read by every later query that sees it.
//
// Without a window, row p holds position p (n_rows = n_ctx). With a rotating
// window of W tokens, the rows form a ring: position p lives in row
// p % n_rows, overwriting position p - n_rows. The ring has W + chunk - 1
// rows, so that while a chunk of new positions is written, every query of the
// chunk still finds the W positions it attends to.
//
// The memory is not cleared: a row is always written before it is read, so
// pages of a long context are only touched as the context fills.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/runtime/buffer.h"
#include "kernels/kv_types.h"

namespace lathe {

class KvCache {
 public:
  KvCache(int64_t n_layers, int64_t n_rows, int64_t kv_dim, kernels::KvType type, bool huge_pages);

  // Layer l's keys / values: (n_rows, row_bytes()).
  uint8_t* keys(int64_t layer) { return k_.data() + layer * layer_bytes(); }
  uint8_t* values(int64_t layer) { return v_.data() + layer * layer_bytes(); }

  kernels::KvType type() const { return type_; }
  int64_t n_rows() const { return n_rows_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t row_bytes() const { return row_bytes_; }
  size_t bytes() const { return k_.size() + v_.size(); }

 private:
  int64_t layer_bytes() const { return n_rows_ * row_bytes_; }

  kernels::KvType type_;
  int64_t n_layers_;
  int64_t n_rows_;
  int64_t kv_dim_;    // n_kv_heads * head_dim
  int64_t row_bytes_; // kv_row_bytes(type, kv_dim)
  ByteBuffer k_;      // (n_layers, n_rows, row_bytes)
  ByteBuffer v_;      // (n_layers, n_rows, row_bytes)
};

} // namespace lathe
