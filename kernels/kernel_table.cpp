#include "kernels/kernel_table.h"

#include "kernels/dequantize.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels {

std::string_view activation_type_name(ActivationType type) {
  switch (type) {
    case ActivationType::kF32: return "F32";
    case ActivationType::kQ8_0: return "Q8_0";
    case ActivationType::kQ8_1: return "Q8_1";
    case ActivationType::kQ8_K: return "Q8_K";
  }
  return "?";
}

int64_t activation_row_bytes(ActivationType type, int64_t n) {
  switch (type) {
    case ActivationType::kF32: return n * static_cast<int64_t>(sizeof(float));
    case ActivationType::kQ8_0: return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_0));
    case ActivationType::kQ8_1: return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_1));
    case ActivationType::kQ8_K: return n / kQKK * static_cast<int64_t>(sizeof(BlockQ8_K));
  }
  return 0;
}

const LinearKernels* KernelTable::linear(QuantType type) const {
  const LinearKernels* k = nullptr;
  switch (type) {
    case QuantType::F32: k = &f32; break;
    case QuantType::F16: k = &f16; break;
    case QuantType::BF16: k = &bf16; break;
    case QuantType::Q4_0: k = &q4_0; break;
    case QuantType::Q4_1: k = &q4_1; break;
    case QuantType::Q5_0: k = &q5_0; break;
    case QuantType::Q5_1: k = &q5_1; break;
    case QuantType::Q8_0: k = &q8_0; break;
    case QuantType::Q2_K: k = &q2_k; break;
    case QuantType::Q3_K: k = &q3_k; break;
    case QuantType::Q4_K: k = &q4_k; break;
    case QuantType::Q5_K: k = &q5_k; break;
    case QuantType::Q6_K: k = &q6_k; break;
    default: return nullptr;
  }
  return k->matvec && k->matmul ? k : nullptr;
}

QuantizeRowFn KernelTable::quantizer(ActivationType type) const {
  switch (type) {
    case ActivationType::kF32: return nullptr;
    case ActivationType::kQ8_0: return quantize_q8_0;
    case ActivationType::kQ8_1: return quantize_q8_1;
    case ActivationType::kQ8_K: return quantize_q8_k;
  }
  return nullptr;
}

AttentionFn KernelTable::attention_for(KvType type) const {
  switch (type) {
    case KvType::kF32: return attention;
    case KvType::kF16: return attention_f16;
    case KvType::kQ8_0: return attention_q8_0;
    case KvType::kQ4_0: return attention_q4_0;
  }
  return nullptr;
}

int64_t KernelTable::attention_scratch_floats(const AttentionShape& s) const {
  return attention_scratch ? attention_scratch(s) : attention_key_floats(s);
}

KvStoreRowFn KernelTable::kv_store(KvType type) const {
  switch (type) {
    case KvType::kF32: return store_kv_f32;
    case KvType::kF16: return store_kv_f16;
    case KvType::kQ8_0: return store_kv_q8_0;
    case KvType::kQ4_0: return store_kv_q4_0;
  }
  return nullptr;
}

namespace {

KernelTable make_scalar_table() {
  using A = ActivationType;
  namespace s = scalar;
  KernelTable t;
  t.isa = "scalar";
  t.quantize_q8_0 = s::quantize_row_q8_0;
  t.quantize_q8_1 = s::quantize_row_q8_1;
  t.quantize_q8_k = s::quantize_row_q8_k;
  t.f32 = {A::kF32, s::matvec_f32_f32, s::matmul_f32_f32};
  t.f16 = {A::kF32, s::matvec_f16_f32, s::matmul_f16_f32};
  t.bf16 = {A::kF32, s::matvec_bf16_f32, s::matmul_bf16_f32};
  t.q4_0 = {A::kQ8_0, s::matvec_q4_0_q8_0, s::matmul_q4_0_q8_0};
  t.q4_1 = {A::kQ8_1, s::matvec_q4_1_q8_1, s::matmul_q4_1_q8_1};
  t.q5_0 = {A::kQ8_0, s::matvec_q5_0_q8_0, s::matmul_q5_0_q8_0};
  t.q5_1 = {A::kQ8_1, s::matvec_q5_1_q8_1, s::matmul_q5_1_q8_1};
  t.q8_0 = {A::kQ8_0, s::matvec_q8_0_q8_0, s::matmul_q8_0_q8_0};
  t.q2_k = {A::kQ8_K, s::matvec_q2_k_q8_k, s::matmul_q2_k_q8_k};
  t.q3_k = {A::kQ8_K, s::matvec_q3_k_q8_k, s::matmul_q3_k_q8_k};
  t.q4_k = {A::kQ8_K, s::matvec_q4_k_q8_k, s::matmul_q4_k_q8_k};
  t.q5_k = {A::kQ8_K, s::matvec_q5_k_q8_k, s::matmul_q5_k_q8_k};
  t.q6_k = {A::kQ8_K, s::matvec_q6_k_q8_k, s::matmul_q6_k_q8_k};
  t.dequantize_row = s::dequantize_row;
  t.rmsnorm = s::rmsnorm;
  t.silu_mul = s::silu_mul;
  t.add = s::add;
  t.rope = s::rope;
  t.attention = s::attention_f32;
  t.attention_f16 = s::attention_f16;
  t.attention_q8_0 = s::attention_q8_0;
  t.attention_q4_0 = s::attention_q4_0;
  t.store_kv_f32 = s::store_row_f32;
  t.store_kv_f16 = s::store_row_f16;
  t.store_kv_q8_0 = s::quantize_row_q8_0;
  t.store_kv_q4_0 = s::quantize_row_q4_0;
  return t;
}

} // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable table = make_scalar_table();
  return table;
}

const KernelTable& active_kernels() { return isa_kernels(); }

} // namespace lathe::kernels
