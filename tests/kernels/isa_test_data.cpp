#include "isa_test_data.h"

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "kernels/dequantize.h"

namespace lathe::kernels::testing {
namespace {

// A random scale: random sign, magnitude 2^u with u uniform in [-8, -4].
f16_bits random_scale(Rng& rng) {
  const float magnitude = std::exp2(rng.uniform(-8.0f, -4.0f));
  return f32_to_f16(rng.uniform_int(0, 1) ? magnitude : -magnitude);
}

void put_scale(Rng& rng, uint8_t* block, size_t offset) {
  const f16_bits h = random_scale(rng);
  std::memcpy(block + offset, &h, sizeof h);
}

float get_half(const uint8_t* block, size_t offset) {
  f16_bits h;
  std::memcpy(&h, block + offset, sizeof h);
  return f16_to_f32(h);
}

// sum |x_j| over the 32 or 256 elements of one activation block.
double activation_abs_sum(ActivationType type, const void* x, int64_t block) {
  double codes = 0.0;
  double d = 0.0;
  if (type == ActivationType::kQ8_0) {
    const BlockQ8_0& b = static_cast<const BlockQ8_0*>(x)[block];
    for (int8_t q : b.qs) codes += std::abs(q);
    d = f16_to_f32(b.d);
  } else if (type == ActivationType::kQ8_1) {
    const BlockQ8_1& b = static_cast<const BlockQ8_1*>(x)[block];
    for (int8_t q : b.qs) codes += std::abs(q);
    d = f16_to_f32(b.d);
  } else {
    const BlockQ8_K& b = static_cast<const BlockQ8_K*>(x)[block];
    for (int8_t q : b.qs) codes += std::abs(q);
    d = b.d;
  }
  return std::fabs(d) * codes;
}

// The largest |contribution per unit of x| one element of a weight block can
// make: |scale| * max |code| (+ |minimum| * max minimum multiplier).
double weight_abs_bound(QuantType type, const uint8_t* b) {
  switch (type) {
    case QuantType::Q4_0:
      return std::fabs(get_half(b, offsetof(BlockQ4_0, d))) * 8;
    case QuantType::Q5_0:
      return std::fabs(get_half(b, offsetof(BlockQ5_0, d))) * 16;
    case QuantType::Q8_0:
      return std::fabs(get_half(b, offsetof(BlockQ8_0, d))) * 128;
    case QuantType::Q4_1:
      return std::fabs(get_half(b, offsetof(BlockQ4_1, d))) * 15 +
             std::fabs(get_half(b, offsetof(BlockQ4_1, m)));
    case QuantType::Q5_1:
      return std::fabs(get_half(b, offsetof(BlockQ5_1, d))) * 31 +
             std::fabs(get_half(b, offsetof(BlockQ5_1, m)));
    // K formats: sub-block scale * code + sub-block min, scales and mins at their largest.
    case QuantType::Q2_K:
      return std::fabs(get_half(b, offsetof(BlockQ2_K, d))) * 15 * 3 +
             std::fabs(get_half(b, offsetof(BlockQ2_K, dmin))) * 15;
    case QuantType::Q3_K:
      return std::fabs(get_half(b, offsetof(BlockQ3_K, d))) * 32 * 4;
    case QuantType::Q4_K:
      return std::fabs(get_half(b, offsetof(BlockQ4_K, d))) * 63 * 15 +
             std::fabs(get_half(b, offsetof(BlockQ4_K, dmin))) * 63;
    case QuantType::Q5_K:
      return std::fabs(get_half(b, offsetof(BlockQ5_K, d))) * 63 * 31 +
             std::fabs(get_half(b, offsetof(BlockQ5_K, dmin))) * 63;
    case QuantType::Q6_K:
      return std::fabs(get_half(b, offsetof(BlockQ6_K, d))) * 128 * 32;
    default:
      break;
  }
  std::abort(); // not a block format
}

bool has_minimum(QuantType type) {
  return type == QuantType::Q4_1 || type == QuantType::Q5_1 || type == QuantType::Q2_K ||
         type == QuantType::Q4_K || type == QuantType::Q5_K;
}

} // namespace

std::vector<float> random_floats(Rng& rng, int64_t n, float stddev) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.normal(stddev);
  return v;
}

std::vector<QuantType> table_weight_types() {
  using Q = QuantType;
  return {Q::F32,  Q::F16,  Q::BF16, Q::Q4_0, Q::Q4_1, Q::Q5_0, Q::Q5_1,
          Q::Q8_0, Q::Q2_K, Q::Q3_K, Q::Q4_K, Q::Q5_K, Q::Q6_K};
}

int64_t weight_row_bytes(QuantType type, int64_t n) {
  return row_bytes(*quant_traits(static_cast<uint32_t>(type)), n);
}

std::vector<uint8_t> random_weights(Rng& rng, QuantType type, int64_t rows, int64_t n) {
  const QuantTraits traits = *quant_traits(static_cast<uint32_t>(type));
  std::vector<uint8_t> w(static_cast<size_t>(rows * row_bytes(traits, n)));
  const int64_t elements = rows * n;
  if (type == QuantType::F32) {
    for (int64_t i = 0; i < elements; ++i) {
      const float v = rng.normal();
      std::memcpy(w.data() + 4 * i, &v, 4);
    }
    return w;
  }
  if (type == QuantType::F16 || type == QuantType::BF16) {
    for (int64_t i = 0; i < elements; ++i) {
      const float v = rng.normal();
      uint16_t h = f32_to_f16(v);
      if (type == QuantType::BF16) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        h = static_cast<uint16_t>(bits >> 16);
      }
      std::memcpy(w.data() + 2 * i, &h, 2);
    }
    return w;
  }
  for (uint8_t& b : w) b = rng.byte();
  for (int64_t blk = 0; blk < elements / traits.block_size; ++blk) {
    uint8_t* b = w.data() + blk * traits.block_bytes;
    switch (type) {
      case QuantType::Q4_0:
        put_scale(rng, b, offsetof(BlockQ4_0, d));
        break;
      case QuantType::Q5_0:
        put_scale(rng, b, offsetof(BlockQ5_0, d));
        break;
      case QuantType::Q8_0:
        put_scale(rng, b, offsetof(BlockQ8_0, d));
        break;
      case QuantType::Q4_1:
        put_scale(rng, b, offsetof(BlockQ4_1, d));
        put_scale(rng, b, offsetof(BlockQ4_1, m));
        break;
      case QuantType::Q5_1:
        put_scale(rng, b, offsetof(BlockQ5_1, d));
        put_scale(rng, b, offsetof(BlockQ5_1, m));
        break;
      case QuantType::Q2_K:
        put_scale(rng, b, offsetof(BlockQ2_K, d));
        put_scale(rng, b, offsetof(BlockQ2_K, dmin));
        break;
      case QuantType::Q3_K:
        put_scale(rng, b, offsetof(BlockQ3_K, d));
        break;
      case QuantType::Q4_K:
        put_scale(rng, b, offsetof(BlockQ4_K, d));
        put_scale(rng, b, offsetof(BlockQ4_K, dmin));
        break;
      case QuantType::Q5_K:
        put_scale(rng, b, offsetof(BlockQ5_K, d));
        put_scale(rng, b, offsetof(BlockQ5_K, dmin));
        break;
      case QuantType::Q6_K:
        put_scale(rng, b, offsetof(BlockQ6_K, d));
        break;
      default:
        std::abort();
    }
  }
  return w;
}

DotBound dot_bound(QuantType type, const uint8_t* w, const void* x, int64_t n) {
  DotBound bound;
  if (type == QuantType::F32 || type == QuantType::F16 || type == QuantType::BF16) {
    std::vector<float> wf(static_cast<size_t>(n));
    scalar::dequantize_row(type, w, wf.data(), n);
    const auto* xf = static_cast<const float*>(x);
    for (int64_t i = 0; i < n; ++i) bound.magnitude += std::fabs(static_cast<double>(wf[i]) * xf[i]);
    bound.terms = n;
    return bound;
  }
  const QuantTraits traits = *quant_traits(static_cast<uint32_t>(type));
  const ActivationType act = ref().linear(type)->activation;
  const int64_t blocks = n / traits.block_size;
  for (int64_t b = 0; b < blocks; ++b) {
    bound.magnitude += weight_abs_bound(type, w + b * traits.block_bytes) * activation_abs_sum(act, x, b);
  }
  // Q8_1's s = dx * sum(qx) is stored as f16: up to 2^-11 relative above sum |x_j|.
  bound.magnitude *= 1.0 + std::ldexp(1.0, -10);
  bound.terms = blocks * (has_minimum(type) ? 2 : 1);
  return bound;
}

double sum_tolerance(const DotBound& b) {
  return static_cast<double>(b.terms + 4) * FLT_EPSILON * b.magnitude;
}

} // namespace lathe::kernels::testing
