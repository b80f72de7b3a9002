// The prefill GEMM kernels (LinearKernels::gemm, the native backend) of the ISA
// compiled in, for every weight type that has one, against the scalar matmul.
//
// The integer sums per block are the same on both sides; the GEMM forms its
// float terms per sub-block (16 or 32 elements: the scale product and, for
// formats with a minimum, the minimum's product), where the scalar reference
// forms one or two per block. The tolerance is the shared sum_tolerance of the
// row's dot_bound with that count of terms. Sizes sweep the tails of the
// tilings (AVX-512: 16-row panels, 16-token groups; NEON: 8-row panels,
// 4-token groups): row ranges that cut panels anywhere, token counts that
// leave 1, 2 or 3 tokens past a group of 4 and 1 or 15 past a group of 16,
// strides with gaps that must stay untouched, and the default models' row
// lengths. The NEON table's gemm is the sdot one or, with LATHE_NEON_I8MM=ON,
// the smmla one; scripts/test-arm64 builds and runs both.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isa_test_data.h"
#include "kernels/isa_config.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

std::string type_name(QuantType type) { return std::string(quant_traits(static_cast<uint32_t>(type))->name); }

std::vector<uint8_t> quantized_rows(ActivationType act, const std::vector<float>& x, int64_t n, int64_t tokens) {
  const int64_t stride = activation_row_bytes(act, n);
  std::vector<uint8_t> xq(static_cast<size_t>(tokens * stride));
  for (int64_t t = 0; t < tokens; ++t) ref().quantizer(act)(x.data() + t * n, xq.data() + t * stride, n);
  return xq;
}

struct Case {
  int64_t n;
  int64_t rows;
  int64_t tokens;
  int64_t begin;
  int64_t end;
};

class GemmIsaTest : public ::testing::TestWithParam<QuantType> {};

void check_case(QuantType type, const LinearKernels& k, const LinearKernels& r, const Case& c, Rng& rng) {
  const int64_t y_stride = c.rows + 5; // gaps between the tokens' rows
  const std::vector<uint8_t> w = random_weights(rng, type, c.rows, c.n);
  const std::vector<uint8_t> xq = quantized_rows(k.activation, random_floats(rng, c.n * c.tokens), c.n, c.tokens);
  std::vector<uint8_t> scratch(static_cast<size_t>(isa().gemm_scratch_bytes(c.n, c.tokens)));
  std::vector<float> y(static_cast<size_t>(c.tokens * y_stride), NAN);
  std::vector<float> y_ref(y.size(), NAN);
  k.gemm(w.data(), xq.data(), y.data(), c.n, c.tokens, y_stride, c.begin, c.end, scratch.data());
  r.matmul(w.data(), xq.data(), y_ref.data(), c.n, c.tokens, y_stride, c.begin, c.end);
  const int64_t w_stride = weight_row_bytes(type, c.n);
  const int64_t x_stride = activation_row_bytes(k.activation, c.n);
  for (int64_t t = 0; t < c.tokens; ++t) {
    for (int64_t row = 0; row < y_stride; ++row) {
      const float got = y[t * y_stride + row];
      const std::string where = type_name(type) + " n=" + std::to_string(c.n) + " tokens=" +
                                std::to_string(c.tokens) + " range [" + std::to_string(c.begin) + ", " +
                                std::to_string(c.end) + ") token " + std::to_string(t) + " row " +
                                std::to_string(row);
      if (row < c.begin || row >= c.end) {
        ASSERT_TRUE(std::isnan(got)) << where << " must stay untouched";
        continue;
      }
      DotBound b = dot_bound(type, w.data() + row * w_stride, xq.data() + t * x_stride, c.n);
      b.terms = std::max(b.terms, 2 * (c.n / 16)); // two float terms per sub-block of >= 16
      ASSERT_NEAR(got, y_ref[t * y_stride + row], sum_tolerance(b)) << where;
    }
  }
}

TEST_P(GemmIsaTest, MatchesScalarMatmul) {
  const QuantType type = GetParam();
  const LinearKernels* k = isa().linear(type);
  const LinearKernels* r = ref().linear(type);
  ASSERT_NE(r, nullptr);
  ASSERT_NE(k, nullptr);
  if (!k->gemm) GTEST_SKIP() << isa().isa << " has no prefill GEMM for " << type_name(type);
  ASSERT_NE(isa().gemm_scratch_bytes, nullptr) << "a table with a gemm must size its scratch";
  ASSERT_EQ(k->activation, r->activation);

  const int64_t block = quant_traits(static_cast<uint32_t>(type))->block_size;
  const std::vector<int64_t> lengths =
      block == kQK ? std::vector<int64_t>{32, 96, 576, 896} : std::vector<int64_t>{256, 768, 1536};
  Rng rng(4242u + static_cast<uint32_t>(type));
  for (const int64_t n : lengths) {
    // Row ranges: one panel exactly, a partial panel, ranges starting and ending inside panels.
    for (const auto& [begin, end] : {std::pair<int64_t, int64_t>{0, 16}, {0, 5}, {3, 37}, {17, 48}}) {
      for (const int64_t tokens : {1, 2, 15, 16, 17, 40}) {
        check_case(type, *k, *r, {n, 48, tokens, begin, end}, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
  // A chunk of the default chunk size on the 0.5B model's attention shape.
  check_case(type, *k, *r, {block == kQK ? 896 : 1024, 64, 64, 0, 64}, rng);
}

// A hand-built case with exact answers: Q8_0 weights whose row r is the unit
// vector e_r (code 1 at column r, scale 1) against tokens of distinct integer
// codes (scale 1), so Y[t][r] = code r of token t exactly. Every row and token
// lands at its own place, whatever the packing and tiling.
TEST(GemmIsaExact, UnitRowsPickTokenCodes) {
  const LinearKernels* k = isa().linear(QuantType::Q8_0);
  ASSERT_NE(k, nullptr);
  if (!k->gemm) GTEST_SKIP() << isa().isa << " has no prefill GEMM for Q8_0";
  constexpr int64_t n = 64, rows = 27, tokens = 7, y_stride = rows + 3;
  constexpr f16_bits kOne = 0x3C00; // 1.0 in IEEE half
  std::vector<BlockQ8_0> w(static_cast<size_t>(rows * n / kQK));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < n / kQK; ++b) {
      BlockQ8_0& blk = w[static_cast<size_t>(r * (n / kQK) + b)];
      blk.d = kOne;
      for (int j = 0; j < kQK; ++j) blk.qs[j] = (b * kQK + j == r) ? 1 : 0;
    }
  }
  const auto code = [](int64_t t, int64_t j) { return static_cast<int8_t>((t * 37 + j * 11) % 255 - 127); };
  std::vector<BlockQ8_0> x(static_cast<size_t>(tokens * n / kQK));
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t b = 0; b < n / kQK; ++b) {
      BlockQ8_0& blk = x[static_cast<size_t>(t * (n / kQK) + b)];
      blk.d = kOne;
      for (int j = 0; j < kQK; ++j) blk.qs[j] = code(t, b * kQK + j);
    }
  }
  std::vector<uint8_t> scratch(static_cast<size_t>(isa().gemm_scratch_bytes(n, tokens)));
  std::vector<float> y(static_cast<size_t>(tokens * y_stride), NAN);
  k->gemm(w.data(), x.data(), y.data(), n, tokens, y_stride, 0, rows, scratch.data());
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_EQ(y[t * y_stride + r], static_cast<float>(code(t, r))) << "token " << t << " row " << r;
    }
    for (int64_t r = rows; r < y_stride; ++r) EXPECT_TRUE(std::isnan(y[t * y_stride + r])) << "gap row " << r;
  }
}

// The table names what its gemm runs on, and the NEON table picks the smmla
// kernels exactly when the build's flags enable i8mm.
TEST(GemmIsaTable, NamesItsUnit) {
  bool any_gemm = false;
  for (const QuantType type : table_weight_types()) {
    const LinearKernels* k = isa().linear(type);
    any_gemm = any_gemm || (k && k->gemm);
  }
  if (!any_gemm) {
    EXPECT_TRUE(isa().gemm_unit.empty()) << isa().isa << " has no gemm but names a unit: " << isa().gemm_unit;
    return;
  }
  EXPECT_NE(isa().gemm_scratch_bytes, nullptr);
  EXPECT_FALSE(isa().gemm_unit.empty()) << isa().isa << " has a gemm but names no unit";
  if (kIsaName == "neon") {
    const bool i8mm = kIsaFlags.find("+i8mm") != std::string_view::npos;
    EXPECT_EQ(isa().gemm_unit, i8mm ? "neon-i8mm" : "neon-dotprod") << "flags: " << kIsaFlags;
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, GemmIsaTest, ::testing::ValuesIn(table_weight_types()),
                         [](const ::testing::TestParamInfo<QuantType>& info) {
                           return type_name(info.param);
                         });

} // namespace
} // namespace lathe::kernels::testing
