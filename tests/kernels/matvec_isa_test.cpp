// The matvec and matmul kernels of the ISA compiled in, for every weight type
// of the kernel table, against the scalar reference on random data.
//
// Both sides get the same weights and the same activation bytes (quantized by
// the scalar quantizer; the quantizers have their own test), so the integer
// parts of the dot products are identical and only the order of the float
// additions may differ. The allowed difference is derived from the data for
// each row (isa_test_data.h: sum_tolerance of dot_bound). Sizes sweep every
// tail: odd and even block counts (the NEON loop takes two blocks at a time),
// and for the float types every remainder modulo 16.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

std::string type_name(QuantType type) { return std::string(quant_traits(static_cast<uint32_t>(type))->name); }

std::vector<int64_t> sizes_for(QuantType type) {
  const int64_t block = quant_traits(static_cast<uint32_t>(type))->block_size;
  if (block == 1) {
    std::vector<int64_t> sizes;
    for (int64_t n = 1; n <= 40; ++n) sizes.push_back(n); // every remainder mod 16, more than twice
    for (int64_t n : {63, 64, 65, 100, 896, 1000}) sizes.push_back(n);
    return sizes;
  }
  if (block == kQK) return {32, 64, 96, 128, 160, 224, 256, 288, 512, 544, 896};
  return {256, 512, 768, 1280};
}

// x quantized by the scalar quantizer of the type's activation format (or left as floats).
std::vector<uint8_t> activation_rows(ActivationType act, const std::vector<float>& x, int64_t n,
                                     int64_t tokens) {
  std::vector<uint8_t> xq(static_cast<size_t>(tokens * activation_row_bytes(act, n)));
  const int64_t stride = activation_row_bytes(act, n);
  for (int64_t t = 0; t < tokens; ++t) {
    if (act == ActivationType::kF32) {
      std::memcpy(xq.data() + t * stride, x.data() + t * n, static_cast<size_t>(stride));
    } else {
      ref().quantizer(act)(x.data() + t * n, xq.data() + t * stride, n);
    }
  }
  return xq;
}

class LinearIsaTest : public ::testing::TestWithParam<QuantType> {
 protected:
  // The ISA's and the reference's kernels for the type; false if there is nothing to compare.
  bool kernels(const LinearKernels*& k, const LinearKernels*& r) {
    r = ref().linear(GetParam());
    k = isa().linear(GetParam());
    EXPECT_NE(r, nullptr);
    EXPECT_NE(k, nullptr) << isa().isa << " cannot multiply a type the scalar table can";
    if (!k || !r) return false;
    EXPECT_EQ(k->activation, r->activation) << "both must read the same activation format";
    return k->activation == r->activation;
  }
};

TEST_P(LinearIsaTest, MatvecMatchesScalar) {
  const QuantType type = GetParam();
  const LinearKernels* k = nullptr;
  const LinearKernels* r = nullptr;
  if (!kernels(k, r)) return;
  if (same_kernel(k->matvec, r->matvec))
    GTEST_SKIP() << isa().isa << " uses the scalar matvec for " << type_name(type);

  Rng rng(1234u + static_cast<uint32_t>(type));
  constexpr int64_t kRows = 9;
  for (const int64_t n : sizes_for(type)) {
    const std::vector<uint8_t> w = random_weights(rng, type, kRows, n);
    const std::vector<uint8_t> xq = activation_rows(k->activation, random_floats(rng, n), n, 1);
    const int64_t stride = weight_row_bytes(type, n);
    // the whole range, and a middle range whose neighbours must stay untouched
    for (const auto& [begin, end] : {std::pair<int64_t, int64_t>{0, kRows}, {2, 7}}) {
      std::vector<float> y(kRows, NAN);
      std::vector<float> y_ref(kRows, NAN);
      k->matvec(w.data(), xq.data(), y.data(), n, begin, end);
      r->matvec(w.data(), xq.data(), y_ref.data(), n, begin, end);
      for (int64_t row = 0; row < kRows; ++row) {
        if (row < begin || row >= end) {
          EXPECT_TRUE(std::isnan(y[row])) << "row " << row << " is outside [" << begin << ", " << end << ")";
          continue;
        }
        const double tol = sum_tolerance(dot_bound(type, w.data() + row * stride, xq.data(), n));
        EXPECT_NEAR(y[row], y_ref[row], tol) << type_name(type) << " n=" << n << " row " << row;
      }
    }
  }
}

TEST_P(LinearIsaTest, MatmulMatchesScalar) {
  const QuantType type = GetParam();
  const LinearKernels* k = nullptr;
  const LinearKernels* r = nullptr;
  if (!kernels(k, r)) return;
  if (same_kernel(k->matmul, r->matmul))
    GTEST_SKIP() << isa().isa << " uses the scalar matmul for " << type_name(type);

  Rng rng(777u + static_cast<uint32_t>(type));
  constexpr int64_t kRows = 6;
  constexpr int64_t kStride = kRows + 3; // y_stride > rows: the gaps must stay untouched
  const std::vector<int64_t> sizes = sizes_for(type);
  for (const int64_t n : {sizes.front(), sizes[sizes.size() / 2], sizes.back()}) {
    for (const int64_t tokens : {1, 2, 3, 4, 5, 9}) { // tiles of four and their remainders
      const std::vector<uint8_t> w = random_weights(rng, type, kRows, n);
      const std::vector<uint8_t> xq =
          activation_rows(k->activation, random_floats(rng, n * tokens), n, tokens);
      const int64_t w_stride = weight_row_bytes(type, n);
      const int64_t x_stride = activation_row_bytes(k->activation, n);
      const int64_t begin = 1;
      const int64_t end = kRows - 1;
      std::vector<float> y(static_cast<size_t>(tokens * kStride), NAN);
      std::vector<float> y_ref(y.size(), NAN);
      k->matmul(w.data(), xq.data(), y.data(), n, tokens, kStride, begin, end);
      r->matmul(w.data(), xq.data(), y_ref.data(), n, tokens, kStride, begin, end);
      for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t row = 0; row < kStride; ++row) {
          const float got = y[t * kStride + row];
          if (row < begin || row >= end) {
            EXPECT_TRUE(std::isnan(got)) << "token " << t << " row " << row << " must stay untouched";
            continue;
          }
          const double tol =
              sum_tolerance(dot_bound(type, w.data() + row * w_stride, xq.data() + t * x_stride, n));
          EXPECT_NEAR(got, y_ref[t * kStride + row], tol)
              << type_name(type) << " n=" << n << " tokens=" << tokens << " token " << t << " row " << row;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, LinearIsaTest, ::testing::ValuesIn(table_weight_types()),
                         [](const ::testing::TestParamInfo<QuantType>& info) {
                           return type_name(info.param);
                         });

} // namespace
} // namespace lathe::kernels::testing
