// The seams of the SIMD matvec and matmul kernels, against the scalar
// reference, on the table this build compiled in (any ISA):
//   - every row range of 0..11 rows: the x86 kernels take four rows per pass
//     and finish with a group that repeats its last row;
//   - rows longer than one column chunk (256 blocks, 8192 elements), where
//     the activation's terms are prepared again and the sums continue;
//   - odd block counts, whose last block goes through the scalar row dot;
//   - the default models' shapes;
//   - matmul over more rows than one L2 tile, with a y_stride wider than the rows;
//   - hand-made weights and activations whose every partial sum is an exact
//     float integer, so every kernel must give the exact answer.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/dequantize.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

std::string name_of(QuantType type) { return std::string(quant_traits(static_cast<uint32_t>(type))->name); }
int64_t block_of(QuantType type) { return quant_traits(static_cast<uint32_t>(type))->block_size; }

const QuantType kTypes[] = {QuantType::Q4_0, QuantType::Q4_1, QuantType::Q5_0, QuantType::Q5_1, QuantType::Q8_0,
                            QuantType::Q4_K, QuantType::Q5_K, QuantType::Q6_K, QuantType::F16,  QuantType::F32};

std::vector<uint8_t> activation(ActivationType act, const std::vector<float>& x, int64_t n) {
  std::vector<uint8_t> xq(static_cast<size_t>(activation_row_bytes(act, n)));
  if (act == ActivationType::kF32) {
    std::memcpy(xq.data(), x.data(), xq.size());
  } else {
    ref().quantizer(act)(x.data(), xq.data(), n);
  }
  return xq;
}

// Allowed |simd - scalar| for one row. The bound of isa_test_data.h assumes
// terms no larger than the centred codes make; the x86 kernels dot unsigned
// codes (q + 8, q + 16, q + 128, q + 32 for Q4_0, Q5_0, Q8_0, Q6_K) and take
// the offset back once per block as offset * sum(x): every float term they
// add is at most (largest unsigned code + offset) / (largest centred code)
// <= 3 times the centred bound. They also add per lane and reduce 16 lanes at
// the end: 16 more terms along the longest chain.
double tolerance(QuantType type, const uint8_t* w_row, const void* xq, int64_t n) {
  DotBound b = dot_bound(type, w_row, xq, n);
  b.magnitude *= 3.0;
  b.terms += 16;
  return sum_tolerance(b);
}

struct Case {
  QuantType type;
  const LinearKernels* k;
  const LinearKernels* r;
};

Case kernels_for(QuantType type) { return {type, isa().linear(type), ref().linear(type)}; }

void expect_rows(const Case& c, const std::vector<uint8_t>& w, const std::vector<uint8_t>& xq, int64_t rows, int64_t n,
                 int64_t begin, int64_t end) {
  std::vector<float> y(static_cast<size_t>(rows), NAN);
  std::vector<float> y_ref(static_cast<size_t>(rows), NAN);
  c.k->matvec(w.data(), xq.data(), y.data(), n, begin, end);
  c.r->matvec(w.data(), xq.data(), y_ref.data(), n, begin, end);
  const int64_t stride = weight_row_bytes(c.type, n);
  for (int64_t row = 0; row < rows; ++row) {
    if (row < begin || row >= end) {
      ASSERT_TRUE(std::isnan(y[row])) << name_of(c.type) << " row " << row << " outside [" << begin << ", " << end
                                      << ") was written";
      continue;
    }
    ASSERT_NEAR(y[row], y_ref[row], tolerance(c.type, w.data() + row * stride, xq.data(), n))
        << name_of(c.type) << " n=" << n << " rows [" << begin << ", " << end << ") row " << row;
  }
}

TEST(MatvecSimdTest, EveryRowRange) {
  constexpr int64_t kRows = 11;
  for (const QuantType type : kTypes) {
    const Case c = kernels_for(type);
    ASSERT_TRUE(c.k && c.r) << name_of(type);
    Rng rng(100 + static_cast<uint32_t>(type));
    // an odd block count for the 32-element formats, a tail of 5 for the float ones
    const int64_t n = block_of(type) == kQK ? 3 * kQK : block_of(type) == kQKK ? 2 * kQKK : 37;
    const std::vector<uint8_t> w = random_weights(rng, type, kRows, n);
    const std::vector<uint8_t> xq = activation(c.k->activation, random_floats(rng, n), n);
    for (int64_t begin = 0; begin <= kRows; ++begin) {
      for (int64_t end = begin; end <= kRows; ++end) expect_rows(c, w, xq, kRows, n, begin, end);
    }
  }
}

TEST(MatvecSimdTest, RowsLongerThanOneColumnChunk) {
  for (const QuantType type : kTypes) {
    const Case c = kernels_for(type);
    Rng rng(200 + static_cast<uint32_t>(type));
    // 32-element formats: two full chunks of 256 blocks, then 3 blocks (odd).
    const int64_t n = block_of(type) == kQK ? (2 * 256 + 3) * kQK : block_of(type) == kQKK ? 40 * kQKK : 10001;
    const std::vector<uint8_t> w = random_weights(rng, type, 6, n);
    const std::vector<uint8_t> xq = activation(c.k->activation, random_floats(rng, n), n);
    expect_rows(c, w, xq, 6, n, 0, 6);
    expect_rows(c, w, xq, 6, n, 1, 4);
  }
}

TEST(MatvecSimdTest, DefaultModelShapes) {
  struct Shape {
    QuantType type;
    int64_t n;
  };
  // Row lengths of the default models (rows are independent: 13 of them do).
  const Shape shapes[] = {{QuantType::Q5_0, 896}, {QuantType::Q8_0, 896},  {QuantType::Q4_K, 4864},
                          {QuantType::Q6_K, 4864}, {QuantType::Q4_1, 576}, {QuantType::Q8_0, 576},
                          {QuantType::Q4_1, 1536}, {QuantType::Q8_0, 1536}, {QuantType::F32, 896}};
  for (const Shape& s : shapes) {
    const Case c = kernels_for(s.type);
    Rng rng(300 + static_cast<uint32_t>(s.n));
    const std::vector<uint8_t> w = random_weights(rng, s.type, 13, s.n);
    const std::vector<uint8_t> xq = activation(c.k->activation, random_floats(rng, s.n), s.n);
    expect_rows(c, w, xq, 13, s.n, 0, 13);
  }
}

TEST(MatmulSimdTest, MoreRowsThanOneTile) {
  struct Shape {
    QuantType type;
    int64_t rows, n, tokens;
  };
  // Q8_0 x 896: 952-byte rows, 275 per 256 KiB tile; Q4_K x 4864: 2736 bytes, 95 per tile.
  const Shape shapes[] = {{QuantType::Q8_0, 600, 896, 3}, {QuantType::Q4_K, 200, 4864, 2}, {QuantType::Q5_0, 90, 96, 5}};
  for (const Shape& s : shapes) {
    const Case c = kernels_for(s.type);
    Rng rng(400 + static_cast<uint32_t>(s.rows));
    const std::vector<uint8_t> w = random_weights(rng, s.type, s.rows, s.n);
    const int64_t x_stride = activation_row_bytes(c.k->activation, s.n);
    std::vector<uint8_t> xq(static_cast<size_t>(s.tokens * x_stride));
    for (int64_t t = 0; t < s.tokens; ++t) {
      const std::vector<uint8_t> row = activation(c.k->activation, random_floats(rng, s.n), s.n);
      std::memcpy(xq.data() + t * x_stride, row.data(), row.size());
    }
    const int64_t y_stride = s.rows + 7;
    const int64_t begin = 5;
    const int64_t end = s.rows - 2;
    std::vector<float> y(static_cast<size_t>(s.tokens * y_stride), NAN);
    std::vector<float> y_ref(y.size(), NAN);
    c.k->matmul(w.data(), xq.data(), y.data(), s.n, s.tokens, y_stride, begin, end);
    c.r->matmul(w.data(), xq.data(), y_ref.data(), s.n, s.tokens, y_stride, begin, end);
    const int64_t w_stride = weight_row_bytes(s.type, s.n);
    for (int64_t t = 0; t < s.tokens; ++t) {
      for (int64_t row = 0; row < y_stride; ++row) {
        const float got = y[t * y_stride + row];
        if (row < begin || row >= end) {
          ASSERT_TRUE(std::isnan(got)) << "token " << t << " row " << row << " must stay untouched";
          continue;
        }
        ASSERT_NEAR(got, y_ref[t * y_stride + row],
                    tolerance(s.type, w.data() + row * w_stride, xq.data() + t * x_stride, s.n))
            << name_of(s.type) << " token " << t << " row " << row;
      }
    }
  }
}

// --- Exact answers -------------------------------------------------------------

// Every scale 1 (and every minimum 1), small activation codes: each product,
// each partial sum and the total are integers below 2^24, which float adds
// exactly in any order. The expected value is the integer dot of the
// dequantized weights with the activation codes.
//
// The bound holds for the sum of the absolute values of every term any of the
// kernels adds, unsigned codes and offsets included: 32-element formats with
// codes in [-7, 7], 9 blocks: (255 + 128) * 7 * 288 < 2^20; K formats with
// codes in [-1, 1], 2 super-blocks: Q6_K (63 + 32) * 128 * 512 < 2^23, Q4_K /
// Q5_K (63 * 31 + 63) * 512 < 2^20.
constexpr f16_bits kOne = 0x3C00;

void set_unit_scales(QuantType type, std::vector<uint8_t>& w) {
  const QuantTraits t = *quant_traits(static_cast<uint32_t>(type));
  std::vector<size_t> fields;
  switch (type) {
    case QuantType::Q4_0: fields = {offsetof(BlockQ4_0, d)}; break;
    case QuantType::Q4_1: fields = {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)}; break;
    case QuantType::Q5_0: fields = {offsetof(BlockQ5_0, d)}; break;
    case QuantType::Q5_1: fields = {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)}; break;
    case QuantType::Q8_0: fields = {offsetof(BlockQ8_0, d)}; break;
    case QuantType::Q4_K: fields = {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)}; break;
    case QuantType::Q5_K: fields = {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)}; break;
    case QuantType::Q6_K: fields = {offsetof(BlockQ6_K, d)}; break;
    default: FAIL() << "not a block format";
  }
  for (size_t b = 0; b < w.size() / static_cast<size_t>(t.block_bytes); ++b) {
    for (const size_t f : fields) std::memcpy(w.data() + b * t.block_bytes + f, &kOne, sizeof kOne);
  }
}

// Activation codes in [-range, range] with unit scales (Q8_1's s = sum of
// codes, exact in f16).
std::vector<uint8_t> unit_activation(Rng& rng, ActivationType act, int64_t n, int range, std::vector<int>& codes) {
  codes.resize(static_cast<size_t>(n));
  for (int& q : codes) q = rng.uniform_int(-range, range);
  std::vector<uint8_t> xq(static_cast<size_t>(activation_row_bytes(act, n)));
  for (int64_t b = 0; b < n / (act == ActivationType::kQ8_K ? kQKK : kQK); ++b) {
    if (act == ActivationType::kQ8_K) {
      BlockQ8_K blk{};
      blk.d = 1.0f;
      for (int j = 0; j < kQKK; ++j) blk.qs[j] = static_cast<int8_t>(codes[b * kQKK + j]);
      for (int g = 0; g < kQKK / 16; ++g) {
        int sum = 0;
        for (int j = 0; j < 16; ++j) sum += blk.qs[16 * g + j];
        blk.bsums[g] = static_cast<int16_t>(sum);
      }
      std::memcpy(xq.data() + b * sizeof blk, &blk, sizeof blk);
    } else if (act == ActivationType::kQ8_1) {
      BlockQ8_1 blk{};
      blk.d = kOne;
      int sum = 0;
      for (int j = 0; j < kQK; ++j) sum += blk.qs[j] = static_cast<int8_t>(codes[b * kQK + j]);
      blk.s = f32_to_f16(static_cast<float>(sum));
      std::memcpy(xq.data() + b * sizeof blk, &blk, sizeof blk);
    } else {
      BlockQ8_0 blk{};
      blk.d = kOne;
      for (int j = 0; j < kQK; ++j) blk.qs[j] = static_cast<int8_t>(codes[b * kQK + j]);
      std::memcpy(xq.data() + b * sizeof blk, &blk, sizeof blk);
    }
  }
  return xq;
}

TEST(MatvecSimdTest, UnitScalesGiveExactIntegers) {
  constexpr int64_t kRows = 7; // a group of four and a group of three
  for (const QuantType type : {QuantType::Q4_0, QuantType::Q4_1, QuantType::Q5_0, QuantType::Q5_1, QuantType::Q8_0,
                               QuantType::Q4_K, QuantType::Q5_K, QuantType::Q6_K}) {
    const Case c = kernels_for(type);
    Rng rng(500 + static_cast<uint32_t>(type));
    const int64_t n = block_of(type) == kQK ? 9 * kQK : 2 * kQKK; // 9: an odd block count
    std::vector<uint8_t> w = random_weights(rng, type, kRows, n);
    set_unit_scales(type, w);
    std::vector<int> codes;
    const std::vector<uint8_t> xq = unit_activation(rng, c.k->activation, n, block_of(type) == kQK ? 7 : 1, codes);
    std::vector<float> y(kRows, NAN);
    std::vector<float> y_ref(kRows, NAN);
    c.k->matvec(w.data(), xq.data(), y.data(), n, 0, kRows);
    c.r->matvec(w.data(), xq.data(), y_ref.data(), n, 0, kRows);
    std::vector<float> wf(static_cast<size_t>(n));
    for (int64_t row = 0; row < kRows; ++row) {
      ASSERT_TRUE(ref().dequantize_row(type, w.data() + row * weight_row_bytes(type, n), wf.data(), n));
      double expected = 0.0; // integers below 2^24: exact in double and in float
      for (int64_t j = 0; j < n; ++j) expected += static_cast<double>(wf[j]) * codes[j];
      ASSERT_LT(std::fabs(expected), 16777216.0);
      EXPECT_EQ(y_ref[row], static_cast<float>(expected)) << name_of(type) << " scalar, row " << row;
      EXPECT_EQ(y[row], static_cast<float>(expected)) << name_of(type) << " " << isa().isa << ", row " << row;
    }
  }
}

} // namespace
} // namespace lathe::kernels::testing
