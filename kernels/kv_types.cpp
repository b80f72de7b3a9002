#include "kernels/kv_types.h"

#include "kernels/quant_types.h"

namespace lathe::kernels {

std::string_view kv_type_name(KvType type) {
  switch (type) {
    case KvType::kF32: return "f32";
    case KvType::kF16: return "f16";
    case KvType::kQ8_0: return "q8_0";
    case KvType::kQ4_0: return "q4_0";
  }
  return "?";
}

std::optional<KvType> kv_type_from_name(std::string_view name) {
  for (KvType t : {KvType::kF32, KvType::kF16, KvType::kQ8_0, KvType::kQ4_0}) {
    if (kv_type_name(t) == name) return t;
  }
  return std::nullopt;
}

int64_t kv_block_size(KvType type) { return type == KvType::kQ8_0 || type == KvType::kQ4_0 ? kQK : 1; }

int64_t kv_row_bytes(KvType type, int64_t n) {
  switch (type) {
    case KvType::kF32: return n * 4;
    case KvType::kF16: return n * 2;
    case KvType::kQ8_0: return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_0));
    case KvType::kQ4_0: return n / kQK * static_cast<int64_t>(sizeof(BlockQ4_0));
  }
  return 0;
}

} // namespace lathe::kernels
