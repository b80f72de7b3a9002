#include "quant_types.h"

#include <array>

namespace lathe::kernels {
namespace {

struct Entry {
  uint32_t id;
  QuantTraits traits;
};

// Geometry of every type GGUF defines, so that a file with a type we cannot
// compute with still parses and the error can name the type.
constexpr std::array kTable = {
    Entry{0, {"F32", 1, 4, true}},
    Entry{1, {"F16", 1, 2, true}},
    Entry{2, {"Q4_0", kQK, sizeof(BlockQ4_0), true}},
    Entry{3, {"Q4_1", kQK, sizeof(BlockQ4_1), true}},
    Entry{6, {"Q5_0", kQK, sizeof(BlockQ5_0), true}},
    Entry{7, {"Q5_1", kQK, sizeof(BlockQ5_1), true}},
    Entry{8, {"Q8_0", kQK, sizeof(BlockQ8_0), true}},
    Entry{9, {"Q8_1", kQK, sizeof(BlockQ8_1), false}},
    Entry{10, {"Q2_K", kQKK, sizeof(BlockQ2_K), true}},
    Entry{11, {"Q3_K", kQKK, sizeof(BlockQ3_K), true}},
    Entry{12, {"Q4_K", kQKK, sizeof(BlockQ4_K), true}},
    Entry{13, {"Q5_K", kQKK, sizeof(BlockQ5_K), true}},
    Entry{14, {"Q6_K", kQKK, sizeof(BlockQ6_K), true}},
    Entry{15, {"Q8_K", kQKK, sizeof(BlockQ8_K), true}},
    Entry{16, {"IQ2_XXS", kQKK, 66, false}},
    Entry{17, {"IQ2_XS", kQKK, 74, false}},
    Entry{18, {"IQ3_XXS", kQKK, 98, false}},
    Entry{19, {"IQ1_S", kQKK, 50, false}},
    Entry{20, {"IQ4_NL", kQK, 18, false}},
    Entry{21, {"IQ3_S", kQKK, 110, false}},
    Entry{22, {"IQ2_S", kQKK, 82, false}},
    Entry{23, {"IQ4_XS", kQKK, 136, false}},
    Entry{24, {"I8", 1, 1, false}},
    Entry{25, {"I16", 1, 2, false}},
    Entry{26, {"I32", 1, 4, false}},
    Entry{27, {"I64", 1, 8, false}},
    Entry{28, {"F64", 1, 8, false}},
    Entry{29, {"IQ1_M", kQKK, 56, false}},
    Entry{30, {"BF16", 1, 2, true}},
    Entry{34, {"TQ1_0", kQKK, 54, false}},
    Entry{35, {"TQ2_0", kQKK, 66, false}},
    Entry{39, {"MXFP4", kQK, 17, false}},
};

} // namespace

std::optional<QuantTraits> quant_traits(uint32_t type_id) {
  for (const Entry& e : kTable) {
    if (e.id == type_id) return e.traits;
  }
  return std::nullopt;
}

int64_t row_bytes(const QuantTraits& traits, int64_t n) {
  return n / traits.block_size * traits.block_bytes;
}

} // namespace lathe::kernels
