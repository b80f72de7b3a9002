// The AMX prefill GEMM (kernels/x86/amx/gemm.cpp), built into avx512
// variants whose compiler has the tile flags: the verdict on AMX from the
// CPU, OS and permission (refusals injected), the table's choice, and the AMX
// gemm of every weight type against the scalar matmul and the VNNI gemm.
//
// Tolerances. Against the scalar matmul: the shared sum_tolerance of the
// row's dot_bound with two float terms per sub-block (gemm_isa_test.cpp says
// why). Against the VNNI gemm: none; both form the same integer sub-block sums
// (tdpbssd on signed x, vpdpbusd on x + 128 less the -128 correction) and then
// run the same float instructions in the same order, so they are equal bit for
// bit. On a CPU without AMX (or a refusal) the kernel tests skip with the reason.

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_types.h"
#include "kernels/x86/amx/amx_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"

namespace lathe::kernels::testing {
namespace {

std::string type_name(QuantType type) { return std::string(quant_traits(static_cast<uint32_t>(type))->name); }

amx::Probe full_probe() {
  amx::Probe p;
  p.cpu_tile = p.cpu_int8 = p.os_xsave = true;
  p.xcr0 = (uint64_t{1} << 17) | (uint64_t{1} << 18) | 0xE7;
  p.permission_error = 0;
  return p;
}

TEST(AmxStatus, UsableOnlyWithCpuOsAndPermission) {
  EXPECT_TRUE(amx::judge(full_probe()).usable);

  amx::Probe p = full_probe();
  p.cpu_int8 = false;
  EXPECT_FALSE(amx::judge(p).usable);
  EXPECT_NE(amx::judge(p).reason.find("CPU"), std::string::npos) << amx::judge(p).reason;

  p = full_probe();
  p.xcr0 &= ~(uint64_t{1} << 18); // the OS does not manage XTILEDATA
  EXPECT_FALSE(amx::judge(p).usable);
  EXPECT_NE(amx::judge(p).reason.find("XCR0"), std::string::npos) << amx::judge(p).reason;

  p = full_probe();
  p.os_xsave = false;
  EXPECT_FALSE(amx::judge(p).usable);

  p = full_probe();
  p.permission_error = EPERM; // the kernel refuses the tile data
  EXPECT_FALSE(amx::judge(p).usable);
  EXPECT_NE(amx::judge(p).reason.find("refused"), std::string::npos) << amx::judge(p).reason;
}

// The table takes AMX exactly when the process may use it; kVector always
// leads to the VNNI gemm (the fallback and prefill.gemm_unit: vnni).
TEST(AmxTable, ChoiceFollowsStatus) {
  const KernelTable& vec = with_gemm_unit(isa(), GemmUnit::kVector);
  EXPECT_EQ(vec.gemm_unit, "avx512-vnni");
  EXPECT_EQ(vec.vector_gemm, nullptr);
  EXPECT_EQ(&with_gemm_unit(isa(), GemmUnit::kAuto), &isa());
  if (amx::status().usable) {
    EXPECT_EQ(isa().gemm_unit, "amx");
    EXPECT_NE(isa().vector_gemm, nullptr);
    EXPECT_NE(isa().q4_k.gemm, vec.q4_k.gemm);
    EXPECT_EQ(isa().q4_k.matvec, vec.q4_k.matvec); // only the gemm entries differ
  } else {
    EXPECT_EQ(isa().gemm_unit, "avx512-vnni") << "AMX refused (" << amx::status().reason << ") yet chosen";
    EXPECT_EQ(isa().vector_gemm, nullptr);
  }
}

// A refusal injected into the table's choice: the VNNI gemm, and the notice
// with the reason on stderr; a grant (the table is only built, no tile
// instruction runs) gives the AMX gemm with the VNNI one as its vector twin.
TEST(AmxTable, RefusalFallsBackToVnniWithANotice) {
  const KernelTable& vnni = with_gemm_unit(isa(), GemmUnit::kVector);
  ::testing::internal::CaptureStderr();
  const KernelTable refused = avx512::choose_gemm_unit(vnni, {false, "injected refusal"});
  const std::string notice = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(refused.gemm_unit, "avx512-vnni");
  EXPECT_EQ(refused.q4_k.gemm, vnni.q4_k.gemm);
  EXPECT_EQ(refused.q8_0.gemm, vnni.q8_0.gemm);
  EXPECT_EQ(refused.vector_gemm, nullptr);
  EXPECT_EQ(notice, "lathe: AMX not available (injected refusal); prefill uses AVX-512 VNNI\n");

  ::testing::internal::CaptureStderr();
  const KernelTable granted = avx512::choose_gemm_unit(vnni, {true, ""});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(granted.gemm_unit, "amx");
  EXPECT_EQ(granted.q6_k.gemm, amx::gemm_q6_k_q8_k);
  EXPECT_EQ(granted.vector_gemm, &vnni);
  EXPECT_EQ(granted.q6_k.matvec, vnni.q6_k.matvec);
}

std::vector<uint8_t> quantized_rows(ActivationType act, const std::vector<float>& x, int64_t n,
                                    int64_t tokens) {
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

void check_case(QuantType type, const Case& c, Rng& rng) {
  const LinearKernels& a = *isa().linear(type);
  const LinearKernels& v = *with_gemm_unit(isa(), GemmUnit::kVector).linear(type);
  const LinearKernels& r = *ref().linear(type);
  const int64_t y_stride = c.rows + 3;
  const std::vector<uint8_t> w = random_weights(rng, type, c.rows, c.n);
  const std::vector<uint8_t> xq =
      quantized_rows(a.activation, random_floats(rng, c.n * c.tokens), c.n, c.tokens);
  std::vector<uint8_t> scratch(static_cast<size_t>(isa().gemm_scratch_bytes(c.n, c.tokens)));
  std::vector<float> y(static_cast<size_t>(c.tokens * y_stride), NAN);
  std::vector<float> y_vnni(y.size(), NAN);
  std::vector<float> y_ref(y.size(), NAN);
  a.gemm(w.data(), xq.data(), y.data(), c.n, c.tokens, y_stride, c.begin, c.end, scratch.data());
  v.gemm(w.data(), xq.data(), y_vnni.data(), c.n, c.tokens, y_stride, c.begin, c.end, scratch.data());
  r.matmul(w.data(), xq.data(), y_ref.data(), c.n, c.tokens, y_stride, c.begin, c.end);
  const int64_t w_stride = weight_row_bytes(type, c.n);
  const int64_t x_stride = activation_row_bytes(a.activation, c.n);
  for (int64_t t = 0; t < c.tokens; ++t) {
    for (int64_t row = 0; row < y_stride; ++row) {
      const size_t i = static_cast<size_t>(t * y_stride + row);
      const std::string where = type_name(type) + " n=" + std::to_string(c.n) +
                                " tokens=" + std::to_string(c.tokens) + " range [" + std::to_string(c.begin) +
                                ", " + std::to_string(c.end) + ") token " + std::to_string(t) + " row " +
                                std::to_string(row);
      if (row < c.begin || row >= c.end) {
        ASSERT_TRUE(std::isnan(y[i])) << where << " must stay untouched";
        continue;
      }
      ASSERT_EQ(y[i], y_vnni[i]) << where << ": AMX and VNNI differ";
      DotBound b = dot_bound(type, w.data() + row * w_stride, xq.data() + t * x_stride, c.n);
      b.terms = std::max(b.terms, 2 * (c.n / 16));
      ASSERT_NEAR(y[i], y_ref[i], sum_tolerance(b)) << where;
    }
  }
}

class GemmAmxTest : public ::testing::TestWithParam<QuantType> {
 protected:
  void SetUp() override {
    if (!amx::status().usable) GTEST_SKIP() << "AMX not usable here: " << amx::status().reason;
    const LinearKernels* k = isa().linear(GetParam());
    if (!k || !k->gemm) GTEST_SKIP() << "no gemm for " << type_name(GetParam());
  }
};

TEST_P(GemmAmxTest, MatchesScalarMatmulAndVnni) {
  const QuantType type = GetParam();
  const bool k_format = quant_traits(static_cast<uint32_t>(type))->block_size == kQKK;
  // n: one sub-block pair, odd and even sub-block counts (the unrolled pair and the lone tail).
  const std::vector<int64_t> lengths =
      k_format ? std::vector<int64_t>{256, 512, 1280} : std::vector<int64_t>{32, 64, 96, 160, 896};
  Rng rng(777u + static_cast<uint32_t>(type));
  for (const int64_t n : lengths) {
    for (const auto& [begin, end] : {std::pair<int64_t, int64_t>{0, 16}, {0, 7}, {5, 40}, {16, 51}}) {
      for (const int64_t tokens : {1, 3, 16, 17, 31, 33, 50}) {
        check_case(type, {n, 51, tokens, begin, end}, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Tile configuration is per thread: two threads running the gemm at once
// each load their own (for different sub-block sizes when the types differ).
TEST(GemmAmxThreads, TwoThreadsAtOnce) {
  if (!amx::status().usable) GTEST_SKIP() << "AMX not usable here: " << amx::status().reason;
  std::vector<std::thread> threads;
  bool ok[2] = {false, false};
  const QuantType types[2] = {QuantType::Q6_K, QuantType::Q4_0}; // S = 16 and S = 32
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      Rng rng(99u + static_cast<uint32_t>(i));
      for (int rep = 0; rep < 20; ++rep)
        check_case(types[i], {types[i] == QuantType::Q6_K ? 512 : 256, 32, 20, 0, 32}, rng);
      ok[i] = true;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(ok[0] && ok[1]);
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, GemmAmxTest, ::testing::ValuesIn(table_weight_types()),
                         [](const ::testing::TestParamInfo<QuantType>& info) {
                           return type_name(info.param);
                         });

} // namespace
} // namespace lathe::kernels::testing
