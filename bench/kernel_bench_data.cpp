#include "kernel_bench_data.h"

#include <cstddef>
#include <cstring>
#include <random>

#include "kernels/dequantize.h"

namespace lathe::bench {

using kernels::QuantType;

int64_t weight_row_bytes(QuantType type, int64_t n) {
  return kernels::row_bytes(*kernels::quant_traits(static_cast<uint32_t>(type)), n);
}

std::string type_name(QuantType type) {
  return std::string(kernels::quant_traits(static_cast<uint32_t>(type))->name);
}

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(gen);
  return v;
}

namespace {

// Offsets of the f16 scale fields in one block of each format.
std::vector<size_t> scale_offsets(QuantType type) {
  using namespace kernels;
  switch (type) {
    case QuantType::Q4_0: return {offsetof(BlockQ4_0, d)};
    case QuantType::Q4_1: return {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)};
    case QuantType::Q5_0: return {offsetof(BlockQ5_0, d)};
    case QuantType::Q5_1: return {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)};
    case QuantType::Q8_0: return {offsetof(BlockQ8_0, d)};
    case QuantType::Q2_K: return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case QuantType::Q3_K: return {offsetof(BlockQ3_K, d)};
    case QuantType::Q4_K: return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case QuantType::Q5_K: return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case QuantType::Q6_K: return {offsetof(BlockQ6_K, d)};
    default: return {};
  }
}

} // namespace

std::vector<uint8_t> random_weights(QuantType type, int64_t rows, int64_t n, uint32_t seed) {
  const auto traits = *kernels::quant_traits(static_cast<uint32_t>(type));
  std::vector<uint8_t> w(static_cast<size_t>(rows * weight_row_bytes(type, n)));
  std::mt19937 gen(seed);
  if (type == QuantType::F32 || type == QuantType::F16) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t i = 0; i < rows * n; ++i) {
      const float v = normal(gen);
      if (type == QuantType::F32) {
        std::memcpy(w.data() + 4 * i, &v, 4);
      } else {
        const kernels::f16_bits h = kernels::f32_to_f16(v);
        std::memcpy(w.data() + 2 * i, &h, 2);
      }
    }
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : w) b = static_cast<uint8_t>(byte(gen));
  std::uniform_real_distribution<float> scale(1.0f / 256, 1.0f / 16);
  const std::vector<size_t> offsets = scale_offsets(type);
  for (size_t block = 0; block < w.size() / static_cast<size_t>(traits.block_bytes); ++block) {
    for (const size_t off : offsets) {
      const kernels::f16_bits h = kernels::f32_to_f16(scale(gen));
      std::memcpy(w.data() + block * traits.block_bytes + off, &h, 2);
    }
  }
  return w;
}

} // namespace lathe::bench
