#include "engine/model/weight_check.h"

#include <fmt/format.h>

#include <cmath>

#include "kernels/dequantize.h"

namespace lathe {

std::string WeightCheck::message() const {
  std::string out;
  for (const NonFiniteTensor& t : bad) {
    if (!out.empty()) out += '\n';
    out += fmt::format("tensor '{}' has {} NaN and {} Inf values (the first at row {}, column {})", t.name,
                       t.n_nan, t.n_inf, t.first_row, t.first_col);
  }
  return out;
}

WeightCheck check_weights(const gguf::GgufFile& file) {
  WeightCheck check;
  std::vector<float> row;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (!t.traits.dequantizable) {
      check.unscanned.emplace_back(t.name);
      continue;
    }
    const int64_t cols = t.row_length();
    const int64_t rows = t.n_rows();
    const int64_t row_bytes = kernels::row_bytes(t.traits, cols);
    row.resize(static_cast<size_t>(cols));
    NonFiniteTensor found{std::string(t.name)};
    for (int64_t r = 0; r < rows; ++r) {
      kernels::scalar::dequantize_row(t.type, t.data + r * row_bytes, row.data(), cols);
      for (int64_t c = 0; c < cols; ++c) {
        const float v = row[static_cast<size_t>(c)];
        if (std::isfinite(v)) continue;
        if (found.n_nan + found.n_inf == 0) {
          found.first_row = r;
          found.first_col = c;
        }
        ++(std::isnan(v) ? found.n_nan : found.n_inf);
      }
    }
    ++check.n_tensors;
    check.n_values += rows * cols;
    if (found.n_nan + found.n_inf > 0) check.bad.push_back(std::move(found));
  }
  return check;
}

} // namespace lathe
