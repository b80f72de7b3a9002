// Inputs for the kernel benchmarks: random weights of any table type and
// shape (no model file needed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::bench {

// `rows` rows of n elements of `type`: random code bytes and finite random
// scales (the speed of a kernel does not depend on the values, but NaNs
// would make the outputs meaningless).
std::vector<uint8_t> random_weights(kernels::QuantType type, int64_t rows, int64_t n, uint32_t seed);

// n floats, normal(0, 1).
std::vector<float> random_floats(int64_t n, uint32_t seed);

// Bytes of one row of n elements of `type`.
int64_t weight_row_bytes(kernels::QuantType type, int64_t n);

std::string type_name(kernels::QuantType type);

} // namespace lathe::bench
