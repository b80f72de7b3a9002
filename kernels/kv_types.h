// Element types of the key/value cache and the geometry every attention
// kernel shares: how a cache row is stored, and which rows a query reads.
//
// A cache row is one position's keys (or values) of every KV head:
// n_kv_heads * head_dim elements, stored as
//   f32    4 bytes per element
//   f16    IEEE half, 2 bytes per element
//   q8_0   GGUF's Q8_0: blocks of 32 int8 codes with one f16 scale (34 bytes)
//   q4_0   GGUF's Q4_0: blocks of 32 4-bit codes (value (code - 8) * d) with one f16 scale (18 bytes)
// The block types need head_dim to be a multiple of 32, so that a KV head
// starts on a block boundary.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lathe::kernels {

enum class KvType { kF32, kF16, kQ8_0, kQ4_0 };

std::string_view kv_type_name(KvType type);                  // "f32", "f16", "q8_0", "q4_0"
std::optional<KvType> kv_type_from_name(std::string_view name); // nullopt for another name

// Elements per block: 1 for f32 / f16, 32 for q8_0 / q4_0.
int64_t kv_block_size(KvType type);

// Bytes of a row of n elements; n must be a multiple of kv_block_size(type).
int64_t kv_row_bytes(KvType type, int64_t n);

// Stores a row of n floats into y in the cache's type (n a multiple of the
// block size); rounding to nearest, ties to even.
using KvStoreRowFn = void (*)(const float* __restrict x, void* __restrict y, int64_t n);

// The keys that query position `pos` reads, and the cache rows they are in.
//   window:  0: every position 0 .. pos; else the last `window` of them,
//            max(0, pos - window + 1) .. pos
//   n_slots: 0: position p is in row p; else in row p % n_slots (a ring that
//            must hold every position the query reads)
// The positions come as at most two runs of consecutive rows, oldest first.
struct KeyRuns {
  int64_t first_pos = 0;  // the oldest position read
  int64_t row[2] = {0, 0};   // first row of each run
  int64_t count[2] = {0, 0}; // rows in each run; count[1] is 0 without a wrap
};

inline KeyRuns key_runs(int64_t pos, int64_t window, int64_t n_slots) {
  KeyRuns r;
  r.first_pos = window > 0 && pos + 1 > window ? pos + 1 - window : 0;
  const int64_t n = pos + 1 - r.first_pos;
  if (n_slots == 0) {
    r.row[0] = r.first_pos;
    r.count[0] = n;
    return r;
  }
  r.row[0] = r.first_pos % n_slots;
  r.count[0] = n < n_slots - r.row[0] ? n : n_slots - r.row[0];
  r.count[1] = n - r.count[0]; // the rest wraps to row 0
  return r;
}

} // namespace lathe::kernels
