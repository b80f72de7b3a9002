// An opt-in scan of a model's weights for values that are not finite (NaN,
// +-Inf): every tensor is dequantized row by row with the scalar reference and
// each value tested. A damaged or badly converted file shows up here with the
// tensor, the count and the first position, instead of as NaN logits later.
// `lathe info --check-weights` runs it; loading a model never does (it reads
// every byte of the file: about a second per GB).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"

namespace lathe {

struct NonFiniteTensor {
  std::string name;
  int64_t n_nan = 0;
  int64_t n_inf = 0;
  int64_t first_row = 0; // of the first value that is not finite
  int64_t first_col = 0;
};

struct WeightCheck {
  int64_t n_tensors = 0;              // tensors scanned
  int64_t n_values = 0;               // values scanned
  std::vector<std::string> unscanned; // tensors of a type without a dequantizer
  std::vector<NonFiniteTensor> bad;   // in file order

  bool ok() const { return bad.empty(); }
  // One line per bad tensor: "tensor 'blk.0.attn_q.weight' has 3 NaN and
  // 1 Inf values (the first at row 2, column 17)"; empty when ok().
  std::string message() const;
};

WeightCheck check_weights(const gguf::GgufFile& file);

} // namespace lathe
