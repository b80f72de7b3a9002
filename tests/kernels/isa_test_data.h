// Inputs and error bounds for the tests that run the kernels of the ISA this
// build compiled in (LATHE_ISA) against the scalar reference. Every random
// input comes from a seeded generator, so a failure reproduces exactly.
#pragma once

#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels {
// Test names and messages show a weight type by its name.
inline void PrintTo(QuantType type, std::ostream* os) {
  const auto traits = quant_traits(static_cast<uint32_t>(type));
  *os << (traits ? traits->name : "?");
}
} // namespace lathe::kernels

namespace lathe::kernels::testing {

// The table under test and the oracle.
inline const KernelTable& isa() { return isa_kernels(); }
inline const KernelTable& ref() { return scalar_kernels(); }

// True when the ISA table uses the scalar kernel for this entry (nothing to compare).
template <class Fn>
bool same_kernel(Fn a, Fn b) {
  return a == b;
}

class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  float normal(float stddev = 1.0f) { return std::normal_distribution<float>(0.0f, stddev)(gen_); }
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen_); }
  int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); } // [lo, hi]
  uint8_t byte() { return static_cast<uint8_t>(uniform_int(0, 255)); }

 private:
  std::mt19937 gen_;
};

std::vector<float> random_floats(Rng& rng, int64_t n, float stddev = 1.0f);

// `rows` rows of n elements in `type`: random code bytes, and every scale a
// random finite value of magnitude in [2^-8, 2^-4] (f16 fields; the block
// formats' scales never come from random bytes, which could be Inf or NaN).
// F32 / F16 / BF16 weights are normal(0, 1) values.
std::vector<uint8_t> random_weights(Rng& rng, QuantType type, int64_t rows, int64_t n);

// The weight types of the kernel table, in table order.
std::vector<QuantType> table_weight_types();

// Bytes of one row of n elements of a weight type.
int64_t weight_row_bytes(QuantType type, int64_t n);

// Error bound support for one row dot product, weight row w against
// activation row x (in the type's activation format), n elements:
// `magnitude` bounds the sum of the absolute values of every term that any
// summation order adds (per block: the largest |weight| a code and scale of
// the block can give, times sum |x_j| over the block; per element for the
// float types), and `terms` counts the float terms summed along the row.
struct DotBound {
  double magnitude = 0.0;
  int64_t terms = 0;
};
DotBound dot_bound(QuantType type, const uint8_t* w, const void* x, int64_t n);

// |a - b| allowed between two float sums of the same `terms` terms of total
// absolute size `magnitude`, added in different orders and groupings. Each
// order is within (terms + 4) units of rounding (u = FLT_EPSILON / 2) times
// the magnitude of the exact sum (Higham, recursive summation; the +4 covers
// the products forming each term), so the two are within 2 (terms + 4) u
// = (terms + 4) FLT_EPSILON of each other.
double sum_tolerance(const DotBound& b);

} // namespace lathe::kernels::testing
