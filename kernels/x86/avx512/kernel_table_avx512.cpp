// The AVX-512 kernel table: the scalar table with every entry that has an
// AVX-512 kernel replaced by it. Q2_K / Q3_K / BF16 matvec and the embedding
// dequantizer stay scalar (not in the default models, or not on the decode path).
//
// The prefill GEMM runs on AMX where the build has the AMX kernels
// (LATHE_KERNELS_AMX, kernels/CMakeLists.txt), the CPU has AMX-INT8 and Linux
// grants the tile data (kernels/x86/amx/amx_support.cpp); otherwise on AVX-512
// VNNI, after a one-line notice on stderr saying why. The VNNI table stays
// reachable as the AMX table's vector_gemm (prefill.gemm_unit: vnni).

#include <cstdio>
#include <string>

#include "kernels/kernel_table.h"
#include "kernels/x86/amx/amx_kernels.h"
#include "kernels/x86/avx512/avx512_kernels.h"

namespace lathe::kernels {
namespace {

KernelTable make_avx512_table() {
  using A = ActivationType;
  namespace k = avx512;
  KernelTable t = scalar_kernels();
  t.isa = "avx512";
  t.quantize_q8_0 = k::quantize_row_q8_0;
  t.quantize_q8_1 = k::quantize_row_q8_1;
  t.quantize_q8_k = k::quantize_row_q8_k;
  t.q4_0 = {A::kQ8_0, k::matvec_q4_0_q8_0, k::matmul_q4_0_q8_0};
  t.q4_1 = {A::kQ8_1, k::matvec_q4_1_q8_1, k::matmul_q4_1_q8_1};
  t.q5_0 = {A::kQ8_0, k::matvec_q5_0_q8_0, k::matmul_q5_0_q8_0};
  t.q5_1 = {A::kQ8_1, k::matvec_q5_1_q8_1, k::matmul_q5_1_q8_1};
  t.q8_0 = {A::kQ8_0, k::matvec_q8_0_q8_0, k::matmul_q8_0_q8_0};
  t.q4_k = {A::kQ8_K, k::matvec_q4_k_q8_k, k::matmul_q4_k_q8_k};
  t.q5_k = {A::kQ8_K, k::matvec_q5_k_q8_k, k::matmul_q5_k_q8_k};
  t.q6_k = {A::kQ8_K, k::matvec_q6_k_q8_k, k::matmul_q6_k_q8_k};
  t.q4_0.gemm = k::gemm_q4_0_q8_0;
  t.q4_1.gemm = k::gemm_q4_1_q8_1;
  t.q5_0.gemm = k::gemm_q5_0_q8_0;
  t.q5_1.gemm = k::gemm_q5_1_q8_1;
  t.q8_0.gemm = k::gemm_q8_0_q8_0;
  t.q4_k.gemm = k::gemm_q4_k_q8_k;
  // Interleaved layouts (matvec_repacked.cpp; docs/kernels.md has the
  // measurements): only Q5_0's beat the plain kernel, by 1.10x to 1.15x on
  // rows of 896 elements hot and cold, but not on rows of 4864 (0.91x cold),
  // so it is used for rows of up to 1024 elements. Q8_0's was even (0.98x to
  // 1.08x; 0.75x on 4864), Q4_0's and Q4_1's slower (0.84x to 1.0x), and
  // Q5_0 with merged fifth bits reads 1.55x the bytes (0.71x to 0.84x cold):
  // kept as candidates for other CPUs.
  t.q5_0.repacked = k::layout_q5_0x4();
  t.q5_0.repacked.max_cols = 1024;
  t.layout_candidates = {{QuantType::Q4_0, k::layout_q4_0x4()},
                         {QuantType::Q4_1, k::layout_q4_1x4()},
                         {QuantType::Q5_0, k::layout_q5_0x4()},
                         {QuantType::Q5_0, k::layout_q5_0x4_int8()},
                         {QuantType::Q8_0, k::layout_q8_0x4()}};
  t.q5_k.gemm = k::gemm_q5_k_q8_k;
  t.q6_k.gemm = k::gemm_q6_k_q8_k;
  t.gemm_scratch_bytes = k::gemm_scratch_bytes;
  t.gemm_unit = "avx512-vnni";
  t.f32 = {A::kF32, k::matvec_f32_f32, k::matmul_f32_f32};
  t.f16 = {A::kF32, k::matvec_f16_f32, k::matmul_f16_f32};
  t.rmsnorm = k::rmsnorm;
  t.silu_mul = k::silu_mul;
  t.add = k::add;
  t.rope = k::rope;
  t.attention = k::attention_f32;
  t.attention_f16 = k::attention_f16;
  t.attention_q8_0 = k::attention_q8_0;
  t.attention_q4_0 = k::attention_q4_0;
  t.attention_scratch = k::attention_scratch_floats;
  return t;
}

} // namespace

KernelTable avx512::choose_gemm_unit(const KernelTable& vnni, const amx::Status& amx) {
  std::string reason = amx.reason;
#if LATHE_KERNELS_AMX
  if (amx.usable) {
    KernelTable t = vnni;
    amx::use_amx_gemm(t);
    t.vector_gemm = &vnni;
    return t;
  }
#else
  if (amx.usable) reason = "this build has no AMX kernels: the compiler did not accept -mamx-tile -mamx-int8";
#endif
  std::fprintf(stderr, "lathe: AMX not available (%s); prefill uses AVX-512 VNNI\n", reason.c_str());
  return vnni;
}

const KernelTable& isa_kernels() {
  static const KernelTable vnni = make_avx512_table();
  static const KernelTable table = avx512::choose_gemm_unit(vnni, amx::status()); // the notice: once per process
  return table;
}

} // namespace lathe::kernels
