// The NEON kernel table: the scalar table with every entry that has a NEON
// kernel replaced by it. Q2_K and Q3_K matvec and the embedding dequantizer
// stay scalar. The prefill GEMM is the sdot one (gemm.cpp), or the smmla one
// (gemm_i8mm.cpp) when the build enables i8mm (LATHE_NEON_I8MM=ON, which
// defines LATHE_NEON_I8MM for this file and compiles gemm_i8mm.cpp).

#include <string_view>

#include "kernels/arm/neon/neon_kernels.h"
#include "kernels/kernel_table.h"

namespace lathe::kernels {
namespace {

#if defined(LATHE_NEON_I8MM)
namespace gemm_kernels = neon::i8mm;
constexpr std::string_view kGemmUnit = "neon-i8mm";
#else
namespace gemm_kernels = neon;
constexpr std::string_view kGemmUnit = "neon-dotprod";
#endif

KernelTable make_neon_table() {
  using A = ActivationType;
  KernelTable t = scalar_kernels();
  t.isa = "neon";
  t.quantize_q8_0 = neon::quantize_row_q8_0;
  t.quantize_q8_1 = neon::quantize_row_q8_1;
  t.quantize_q8_k = neon::quantize_row_q8_k;
  t.f32 = {A::kF32, neon::matvec_f32_f32, neon::matmul_f32_f32};
  t.f16 = {A::kF32, neon::matvec_f16_f32, neon::matmul_f16_f32};
  t.bf16 = {A::kF32, neon::matvec_bf16_f32, neon::matmul_bf16_f32};
  t.q4_0 = {A::kQ8_0, neon::matvec_q4_0_q8_0, neon::matmul_q4_0_q8_0};
  t.q4_1 = {A::kQ8_1, neon::matvec_q4_1_q8_1, neon::matmul_q4_1_q8_1};
  t.q5_0 = {A::kQ8_0, neon::matvec_q5_0_q8_0, neon::matmul_q5_0_q8_0};
  t.q5_1 = {A::kQ8_1, neon::matvec_q5_1_q8_1, neon::matmul_q5_1_q8_1};
  t.q8_0 = {A::kQ8_0, neon::matvec_q8_0_q8_0, neon::matmul_q8_0_q8_0};
  t.q4_k = {A::kQ8_K, neon::matvec_q4_k_q8_k, neon::matmul_q4_k_q8_k};
  t.q5_k = {A::kQ8_K, neon::matvec_q5_k_q8_k, neon::matmul_q5_k_q8_k};
  t.q6_k = {A::kQ8_K, neon::matvec_q6_k_q8_k, neon::matmul_q6_k_q8_k};
  t.q4_0.gemm = gemm_kernels::gemm_q4_0_q8_0;
  t.q4_1.gemm = gemm_kernels::gemm_q4_1_q8_1;
  t.q5_0.gemm = gemm_kernels::gemm_q5_0_q8_0;
  t.q5_1.gemm = gemm_kernels::gemm_q5_1_q8_1;
  t.q8_0.gemm = gemm_kernels::gemm_q8_0_q8_0;
  t.q4_k.gemm = gemm_kernels::gemm_q4_k_q8_k;
  t.q5_k.gemm = gemm_kernels::gemm_q5_k_q8_k;
  t.q6_k.gemm = gemm_kernels::gemm_q6_k_q8_k;
  t.gemm_scratch_bytes = neon::gemm_scratch_bytes; // the same scratch for both tiles
  t.gemm_unit = kGemmUnit;
  t.rmsnorm = neon::rmsnorm;
  t.silu_mul = neon::silu_mul;
  t.add = neon::add;
  t.rope = neon::rope;
  t.attention = neon::attention_f32;
  t.attention_f16 = neon::attention_f16;
  t.attention_q8_0 = neon::attention_q8_0;
  t.attention_q4_0 = neon::attention_q4_0;
  return t;
}

} // namespace

const KernelTable& isa_kernels() {
  static const KernelTable table = make_neon_table();
  return table;
}

} // namespace lathe::kernels
