// Hand-made matvec cases with exact answers, run on the scalar table and on
// the table of the ISA compiled in.
//
// Every weight block is packed here from explicit codes and scales, bit by
// bit from the GGUF layout (the same layouts kernels/scalar/dequantize.cpp
// documents), never by calling code under test. Scales are powers of two and
// codes and sums small, so every product and every partial sum is an integer
// times a power of two below 2^24: exact in float in any order. The expected
// value is the sum of dequantized weight times dequantized activation,
// computed in double from the codes.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/dequantize.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"

namespace lathe::kernels::testing {
namespace {

// Powers of two as IEEE half bits.
f16_bits half_pow2(int e) { return static_cast<f16_bits>((15 + e) << 10); }

// One row of one weight type, with its codes laid out element by element.
struct Row {
  std::vector<uint8_t> bytes;
  std::vector<double> w; // dequantized, exact
};

// Deterministic small codes: code(i) in [lo, hi].
int code_at(int64_t i, int lo, int hi, int salt) {
  return lo + static_cast<int>((i * 7 + salt * 13 + i / 5) % (hi - lo + 1));
}

// --- weight packers, one per format --------------------------------------

// Q4_0 / Q4_1 / Q5_0 / Q5_1 nibble + fifth-bit layout for codes c[0..32).
void pack_nibbles(const int* c, uint8_t* qs, uint8_t* qh) {
  uint32_t high = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((c[j] & 0xF) | (c[j + 16] & 0xF) << 4);
    high |= static_cast<uint32_t>((c[j] >> 4) & 1) << j;
    high |= static_cast<uint32_t>((c[j + 16] >> 4) & 1) << (j + 16);
  }
  if (qh) {
    for (int b = 0; b < 4; ++b) qh[b] = static_cast<uint8_t>(high >> (8 * b));
  }
}

template <class Block>
void put(std::vector<uint8_t>& bytes, const Block& b) {
  const size_t at = bytes.size();
  bytes.resize(at + sizeof b);
  std::memcpy(bytes.data() + at, &b, sizeof b);
}

Row make_row(QuantType type, int64_t n) {
  Row row;
  const int64_t blocks32 = n / kQK;
  const int64_t blocks256 = n / kQKK;
  int c[kQKK];
  switch (type) {
    case QuantType::Q4_0:
    case QuantType::Q4_1:
    case QuantType::Q5_0:
    case QuantType::Q5_1:
    case QuantType::Q8_0:
      for (int64_t b = 0; b < blocks32; ++b) {
        const int e = static_cast<int>(b % 3) - 1; // scale 2^e
        const double d = std::ldexp(1.0, e);
        const double m = -std::ldexp(1.0, e + 2); // minimum for Q4_1 / Q5_1
        const int bits = type == QuantType::Q8_0                                ? 8
                         : (type == QuantType::Q5_0 || type == QuantType::Q5_1) ? 5
                                                                                : 4;
        const bool centred = type == QuantType::Q4_0 || type == QuantType::Q5_0;
        for (int j = 0; j < kQK; ++j) c[j] = code_at(b * kQK + j, 0, (1 << bits) - 1, bits);
        if (type == QuantType::Q8_0) {
          for (int j = 0; j < kQK; ++j) c[j] = code_at(b * kQK + j, -127, 127, 3);
        }
        for (int j = 0; j < kQK; ++j) {
          const int centre = centred ? 1 << (bits - 1) : 0;
          const bool with_min = type == QuantType::Q4_1 || type == QuantType::Q5_1;
          row.w.push_back(d * (c[j] - centre) + (with_min ? m : 0.0));
        }
        if (type == QuantType::Q4_0) {
          BlockQ4_0 blk{half_pow2(e), {}};
          pack_nibbles(c, blk.qs, nullptr);
          put(row.bytes, blk);
        } else if (type == QuantType::Q4_1) {
          BlockQ4_1 blk{half_pow2(e), static_cast<f16_bits>(half_pow2(e + 2) | 0x8000), {}};
          pack_nibbles(c, blk.qs, nullptr);
          put(row.bytes, blk);
        } else if (type == QuantType::Q5_0) {
          BlockQ5_0 blk{half_pow2(e), {}, {}};
          pack_nibbles(c, blk.qs, blk.qh);
          put(row.bytes, blk);
        } else if (type == QuantType::Q5_1) {
          BlockQ5_1 blk{half_pow2(e), static_cast<f16_bits>(half_pow2(e + 2) | 0x8000), {}, {}};
          pack_nibbles(c, blk.qs, blk.qh);
          put(row.bytes, blk);
        } else {
          BlockQ8_0 blk{half_pow2(e), {}};
          for (int j = 0; j < kQK; ++j) blk.qs[j] = static_cast<int8_t>(c[j]);
          put(row.bytes, blk);
        }
      }
      break;
    case QuantType::Q4_K:
    case QuantType::Q5_K:
      for (int64_t b = 0; b < blocks256; ++b) {
        const bool five = type == QuantType::Q5_K;
        const int e = static_cast<int>(b % 2) - 2;
        int scale[8];
        int min[8];
        for (int s = 0; s < 8; ++s) {
          scale[s] = code_at(8 * b + s, 0, 7, 1); // small enough that 3 super-blocks stay exact
          min[s] = code_at(8 * b + s, 0, 7, 2);
        }
        uint8_t sc[12];
        for (int j = 0; j < 4; ++j) { // the 6-bit layout; values < 16 leave bits 6..7 of bytes 0..7 zero
          sc[j] = static_cast<uint8_t>(scale[j]);
          sc[j + 4] = static_cast<uint8_t>(min[j]);
          sc[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0xF) | (min[j + 4] & 0xF) << 4);
        }
        for (int j = 0; j < kQKK; ++j) c[j] = code_at(b * kQKK + j, 0, five ? 31 : 15, 5);
        uint8_t qs[128];
        uint8_t qh[32] = {};
        for (int chunk = 0; chunk < 4; ++chunk) { // sub-blocks 2 chunk (low nibbles) and 2 chunk + 1 (high)
          for (int i = 0; i < 32; ++i) {
            const int lo = c[64 * chunk + i];
            const int hi = c[64 * chunk + 32 + i];
            qs[32 * chunk + i] = static_cast<uint8_t>((lo & 0xF) | (hi & 0xF) << 4);
            qh[i] |=
                static_cast<uint8_t>(((lo >> 4) & 1) << (2 * chunk) | ((hi >> 4) & 1) << (2 * chunk + 1));
          }
        }
        const double d = std::ldexp(1.0, e);
        const double dmin = std::ldexp(1.0, e - 1);
        for (int j = 0; j < kQKK; ++j) row.w.push_back(d * scale[j / 32] * c[j] - dmin * min[j / 32]);
        if (five) {
          BlockQ5_K blk{half_pow2(e), half_pow2(e - 1), {}, {}, {}};
          std::memcpy(blk.scales, sc, 12);
          std::memcpy(blk.qh, qh, 32);
          std::memcpy(blk.qs, qs, 128);
          put(row.bytes, blk);
        } else {
          BlockQ4_K blk{half_pow2(e), half_pow2(e - 1), {}, {}};
          std::memcpy(blk.scales, sc, 12);
          std::memcpy(blk.qs, qs, 128);
          put(row.bytes, blk);
        }
      }
      break;
    case QuantType::Q6_K:
      for (int64_t b = 0; b < blocks256; ++b) {
        BlockQ6_K blk{};
        const int e = static_cast<int>(b % 2) - 3;
        blk.d = half_pow2(e);
        for (int s = 0; s < 16; ++s) blk.scales[s] = static_cast<int8_t>(code_at(16 * b + s, -8, 8, 4));
        for (int j = 0; j < kQKK; ++j) c[j] = code_at(b * kQKK + j, 0, 63, 6); // stored code; value c - 32
        for (int h = 0; h < 2; ++h) {                                          // halves of 128
          for (int k = 0; k < 4; ++k) {                                        // element 128 h + 32 k + i
            for (int i = 0; i < 32; ++i) {
              const int q = c[128 * h + 32 * k + i];
              uint8_t& low = blk.ql[64 * h + 32 * (k & 1) + i];
              low |= static_cast<uint8_t>(k < 2 ? (q & 0xF) : (q & 0xF) << 4);
              blk.qh[32 * h + i] |= static_cast<uint8_t>((q >> 4) << (2 * k));
            }
          }
        }
        for (int j = 0; j < kQKK; ++j) row.w.push_back(std::ldexp(1.0, e) * blk.scales[j / 16] * (c[j] - 32));
        put(row.bytes, blk);
      }
      break;
    default:
      ADD_FAILURE() << "no packer for this type";
  }
  return row;
}

// An activation row in the type's format from codes qx in [-8, 8] and power-of-two scales;
// x receives the dequantized values.
std::vector<uint8_t> make_activation(ActivationType act, int64_t n, std::vector<double>& x) {
  std::vector<uint8_t> bytes;
  x.clear();
  const int64_t block = act == ActivationType::kQ8_K ? kQKK : kQK;
  for (int64_t b = 0; b < n / block; ++b) {
    const int e = static_cast<int>(b % 2);
    int8_t q[kQKK];
    int sum = 0;
    for (int j = 0; j < block; ++j) {
      q[j] = static_cast<int8_t>(code_at(b * block + j, -8, 8, 9));
      sum += q[j];
      x.push_back(std::ldexp(1.0, e) * q[j]);
    }
    if (act == ActivationType::kQ8_0) {
      BlockQ8_0 blk{half_pow2(e), {}};
      std::memcpy(blk.qs, q, kQK);
      put(bytes, blk);
    } else if (act == ActivationType::kQ8_1) {
      BlockQ8_1 blk{half_pow2(e), f32_to_f16(std::ldexp(1.0f, e) * static_cast<float>(sum)), {}};
      std::memcpy(blk.qs, q, kQK);
      put(bytes, blk);
    } else {
      BlockQ8_K blk{std::ldexp(1.0f, e), {}, {}};
      std::memcpy(blk.qs, q, kQKK);
      for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int j = 0; j < 16; ++j) s += q[16 * g + j];
        blk.bsums[g] = static_cast<int16_t>(s);
      }
      put(bytes, blk);
    }
  }
  return bytes;
}

struct ExactCase {
  QuantType type;
  bool use_isa;
};

void PrintTo(const ExactCase& c, std::ostream* os) {
  PrintTo(c.type, os);
  *os << (c.use_isa ? " on the ISA table" : " on the scalar table");
}

class MatvecExactTest : public ::testing::TestWithParam<ExactCase> {};

TEST_P(MatvecExactTest, RowsOfKnownCodesGiveTheExactDot) {
  const auto [type, use_isa] = GetParam();
  const KernelTable& table = use_isa ? isa() : ref();
  const LinearKernels* k = table.linear(type);
  ASSERT_NE(k, nullptr);
  const int64_t block = quant_traits(static_cast<uint32_t>(type))->block_size;
  for (const int64_t blocks : {1, 2, 3}) {
    const int64_t n = blocks * (block == kQK ? 3 : 1) * block; // 32-element formats: 3, 6 and 9 blocks
    std::vector<double> x;
    const std::vector<uint8_t> xq = make_activation(k->activation, n, x);
    // Two rows: the packed one, and the same row again, to test the row stride.
    const Row row = make_row(type, n);
    std::vector<uint8_t> w = row.bytes;
    w.insert(w.end(), row.bytes.begin(), row.bytes.end());
    double want = 0.0;
    for (int64_t j = 0; j < n; ++j) want += row.w[j] * x[j];
    float y[2] = {NAN, NAN};
    k->matvec(w.data(), xq.data(), y, n, 0, 2);
    EXPECT_EQ(y[0], static_cast<float>(want)) << "n=" << n;
    EXPECT_EQ(y[1], static_cast<float>(want)) << "n=" << n << ", second row";
  }
}

std::vector<ExactCase> exact_cases() {
  std::vector<ExactCase> cases;
  for (const QuantType t : {QuantType::Q4_0, QuantType::Q4_1, QuantType::Q5_0, QuantType::Q5_1,
                            QuantType::Q8_0, QuantType::Q4_K, QuantType::Q5_K, QuantType::Q6_K}) {
    cases.push_back({t, false});
    cases.push_back({t, true});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(DefaultModelFormats, MatvecExactTest, ::testing::ValuesIn(exact_cases()),
                         [](const ::testing::TestParamInfo<ExactCase>& info) {
                           return std::string(quant_traits(static_cast<uint32_t>(info.param.type))->name) +
                                  (info.param.use_isa ? "_Isa" : "_Scalar");
                         });

} // namespace
} // namespace lathe::kernels::testing
