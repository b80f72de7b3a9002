// The interleaved (repacked) weight layouts of the ISA compiled in
// (KernelTable::layout_candidates), against the scalar reference:
//   - repack then unrepack gives back the GGUF rows bit for bit, for row
//     counts that are and are not a multiple of the group (padded groups),
//     and for every block count modulo 4;
//   - the layout's size: its group padded rows, nothing more (same-size
//     layouts take exactly the GGUF bytes when rows fill the groups);
//   - the layout's matvec equals the scalar matvec on the GGUF rows for
//     every row range of 0..11 rows (groups of 4 cut anywhere, padding never
//     written), block counts 1..9 (every tail of 4 blocks), rows longer than
//     one column chunk, and the default models' row lengths.
// An ISA without layouts (scalar, avx2, neon today) skips with a message.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

struct Layout {
  QuantType type;
  const LinearKernels* k;
  const RepackedLayout* layout;
  bool same_size;       // takes exactly the bytes of the GGUF rows
  double offset_factor; // see tolerance()
};

// Every layout the ISA table has (KernelTable::layout_candidates).
std::vector<Layout> layouts() {
  std::vector<Layout> out;
  for (const LayoutCandidate& c : isa().layout_candidates) {
    // q5_0x4_int8 stores q - 16 + 128 in a byte: the largest unsigned code
    // plus the offset is (143 + 128) / 16 < 17 times the largest centred code.
    const bool int8_q5 = c.type == QuantType::Q5_0 && c.layout.name == "q5_0x4_int8";
    out.push_back({c.type, isa().linear(c.type), &c.layout, !int8_q5, int8_q5 ? 17.0 : 3.0});
  }
  return out;
}

std::vector<uint8_t> activation(ActivationType act, const std::vector<float>& x, int64_t n) {
  std::vector<uint8_t> xq(static_cast<size_t>(activation_row_bytes(act, n)));
  ref().quantizer(act)(x.data(), xq.data(), n);
  return xq;
}

// Allowed |repacked - scalar| for one row. The kernels dot unsigned codes and
// take the offset back once per block as offset * sum(x): every float term
// they add is at most (largest unsigned code + offset) / (largest centred
// code) times the centred bound of isa_test_data.h: (15 + 8) / 8, (31 + 16) /
// 16, (255 + 128) / 128 <= 3 for the same-size layouts. The per-lane sums are
// reduced over 16 lanes at the end: 16 more terms along the longest chain.
double tolerance(const Layout& l, const uint8_t* w_row, const void* xq, int64_t n) {
  DotBound b = dot_bound(l.type, w_row, xq, n);
  b.magnitude *= l.offset_factor;
  b.terms += 16;
  return sum_tolerance(b);
}

TEST(MatvecRepackedTest, RepackRoundTripsEveryRowAndBlockCount) {
  const std::vector<Layout> all = layouts();
  if (all.empty()) GTEST_SKIP() << "the " << isa().isa << " kernels offer no repacked layout";
  for (const Layout& l : all) {
    for (int64_t rows = 1; rows <= 9; ++rows) {
      for (const int64_t nb : {1, 2, 3, 4, 5, 7, 28}) {
        const int64_t n = nb * kQK;
        Rng rng(static_cast<uint32_t>(1000 * rows + nb));
        const std::vector<uint8_t> w = random_weights(rng, l.type, rows, n);
        const int64_t bytes = l.layout->bytes(rows, n);
        const int64_t padded = (rows + 3) / 4 * 4;
        if (l.same_size) {
          ASSERT_EQ(bytes, padded * weight_row_bytes(l.type, n)) << l.layout->name << " rows " << rows;
        } else {
          ASSERT_GT(bytes, padded * weight_row_bytes(l.type, n)) << l.layout->name;
        }
        std::vector<uint8_t> packed(static_cast<size_t>(bytes), 0xAB);
        l.layout->repack(w.data(), packed.data(), rows, n);
        std::vector<uint8_t> back(w.size(), 0xCD);
        l.layout->unrepack(packed.data(), back.data(), rows, n);
        ASSERT_EQ(back, w) << l.layout->name << " rows " << rows << " blocks " << nb;
      }
    }
  }
}

// Repacks w (rows x n), runs the layout's matvec over [begin, end) and the
// scalar matvec over the GGUF rows, and compares; rows outside stay NaN.
void expect_rows(const Layout& l, const std::vector<uint8_t>& w, const std::vector<uint8_t>& packed,
                 const std::vector<uint8_t>& xq, int64_t rows, int64_t n, int64_t begin, int64_t end) {
  std::vector<float> y(static_cast<size_t>(rows), NAN);
  std::vector<float> y_ref(static_cast<size_t>(rows), NAN);
  l.layout->matvec(packed.data(), xq.data(), y.data(), n, begin, end);
  ref().linear(l.type)->matvec(w.data(), xq.data(), y_ref.data(), n, begin, end);
  const int64_t stride = weight_row_bytes(l.type, n);
  for (int64_t row = 0; row < rows; ++row) {
    if (row < begin || row >= end) {
      ASSERT_TRUE(std::isnan(y[row]))
          << l.layout->name << " row " << row << " outside [" << begin << ", " << end << ") was written";
      continue;
    }
    ASSERT_NEAR(y[row], y_ref[row], tolerance(l, w.data() + row * stride, xq.data(), n))
        << l.layout->name << " n=" << n << " rows [" << begin << ", " << end << ") row " << row;
  }
}

struct Packed {
  std::vector<uint8_t> w, packed, xq;
};

Packed make(const Layout& l, int64_t rows, int64_t n, uint32_t seed) {
  Rng rng(seed);
  Packed p;
  p.w = random_weights(rng, l.type, rows, n);
  p.packed.resize(static_cast<size_t>(l.layout->bytes(rows, n)));
  l.layout->repack(p.w.data(), p.packed.data(), rows, n);
  p.xq = activation(l.k->activation, random_floats(rng, n), n);
  return p;
}

TEST(MatvecRepackedTest, EveryRowRangeAndBlockTail) {
  const std::vector<Layout> all = layouts();
  if (all.empty()) GTEST_SKIP() << "the " << isa().isa << " kernels offer no repacked layout";
  constexpr int64_t kRows = 11; // two full groups and a padded one
  for (const Layout& l : all) {
    for (int64_t nb = 1; nb <= 9; ++nb) {
      const int64_t n = nb * kQK;
      const Packed p = make(l, kRows, n, 100 + static_cast<uint32_t>(nb));
      for (int64_t begin = 0; begin <= kRows; ++begin) {
        for (int64_t end = begin; end <= kRows; ++end)
          expect_rows(l, p.w, p.packed, p.xq, kRows, n, begin, end);
      }
    }
  }
}

TEST(MatvecRepackedTest, RowsLongerThanOneColumnChunk) {
  const std::vector<Layout> all = layouts();
  if (all.empty()) GTEST_SKIP() << "the " << isa().isa << " kernels offer no repacked layout";
  for (const Layout& l : all) {
    // two full chunks of 256 blocks, then 3 blocks
    const int64_t n = (2 * 256 + 3) * kQK;
    const Packed p = make(l, 6, n, 200);
    expect_rows(l, p.w, p.packed, p.xq, 6, n, 0, 6);
    expect_rows(l, p.w, p.packed, p.xq, 6, n, 1, 4);
    expect_rows(l, p.w, p.packed, p.xq, 6, n, 5, 6);
  }
}

TEST(MatvecRepackedTest, DefaultModelRowLengths) {
  const std::vector<Layout> all = layouts();
  if (all.empty()) GTEST_SKIP() << "the " << isa().isa << " kernels offer no repacked layout";
  for (const Layout& l : all) {
    for (const int64_t n : {576, 896, 1536, 4864}) { // nb = 18, 28, 48, 152
      const Packed p = make(l, 13, n, 300 + static_cast<uint32_t>(n));
      expect_rows(l, p.w, p.packed, p.xq, 13, n, 0, 13);
    }
  }
}

TEST(MatvecRepackedTest, OffersTheLayoutsOfItsIsa) {
  // AVX-512 has Q4_0, Q4_1, Q5_0 (two) and Q8_0 layouts and uses Q5_0's for
  // rows of up to 1024 elements; the other ISAs have none.
  std::vector<std::string> names;
  for (const Layout& l : layouts()) names.emplace_back(l.layout->name);
  std::vector<std::string> used;
  for (const QuantType type : table_weight_types()) {
    const RepackedLayout& r = isa().linear(type)->repacked;
    if (r.matvec) used.emplace_back(r.name);
  }
  if (isa().isa != "avx512") {
    EXPECT_TRUE(names.empty()) << isa().isa;
    EXPECT_TRUE(used.empty()) << isa().isa;
    return;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"q4_0x4", "q4_1x4", "q5_0x4", "q5_0x4_int8", "q8_0x4"}));
  EXPECT_EQ(used, (std::vector<std::string>{"q5_0x4"}));
  EXPECT_EQ(isa().linear(QuantType::Q5_0)->repacked.max_cols, 1024);
  EXPECT_EQ(isa().linear(QuantType::Q5_0)->repacked.matvec, layouts()[2].layout->matvec);
}

} // namespace
} // namespace lathe::kernels::testing
