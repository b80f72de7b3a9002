// Tensor element types as GGUF numbers them, their block geometry, and the
// byte layout of every quantized block.
//
// A quantized row of n elements is n / block_size blocks stored back to back;
// each block holds its own scale(s) and packed integer codes. The structs below
// are the exact on-disk layouts (little-endian, no padding), checked with
// static_assert so that a layout mistake fails the build, not the model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lathe::kernels {

// The numbering is GGUF's (ggml_type); ids missing here were removed from the
// format or are not tensor types we know.
enum class QuantType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

struct QuantTraits {
  std::string_view name;
  int64_t block_size;  // elements per block
  int64_t block_bytes; // bytes per block
  bool dequantizable;  // a scalar dequantizer exists for it
};

// Traits of a known type id, or nullopt for an id GGUF does not define.
std::optional<QuantTraits> quant_traits(uint32_t type_id);

// Bytes of a row of n elements; n must be a multiple of the block size.
int64_t row_bytes(const QuantTraits& traits, int64_t n);

constexpr int kQK = 32;   // elements per block of the 32-element formats
constexpr int kQKK = 256; // elements per super-block of the K formats
constexpr int kKScaleBytes = 12;

using f16_bits = uint16_t; // IEEE half, stored as its bits
using bf16_bits = uint16_t;

struct BlockQ4_0 {
  f16_bits d;          // scale
  uint8_t qs[kQK / 2]; // element j in the low nibble of qs[j], j+16 in the high
};
struct BlockQ4_1 {
  f16_bits d;          // scale
  f16_bits m;          // minimum
  uint8_t qs[kQK / 2]; // as Q4_0
};
struct BlockQ5_0 {
  f16_bits d;
  uint8_t qh[4];       // bit j is the fifth bit of element j
  uint8_t qs[kQK / 2]; // low four bits, as Q4_0
};
struct BlockQ5_1 {
  f16_bits d;
  f16_bits m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  f16_bits d;
  int8_t qs[kQK];
};
struct BlockQ8_1 {
  f16_bits d;
  f16_bits s; // d * sum(qs)
  int8_t qs[kQK];
};

// K formats: a 256-element super-block in 16 or 8 sub-blocks, each with its
// own (quantized) scale and, for the asymmetric ones, minimum.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16]; // low nibble scale, high nibble min, per 16
  uint8_t qs[kQKK / 4];      // 2-bit codes
  f16_bits d;                // super-block scale of the scales
  f16_bits dmin;             // super-block scale of the mins
};
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8]; // high bit of each 3-bit code
  uint8_t qs[kQKK / 4];    // low 2 bits
  uint8_t scales[12];      // sixteen 6-bit scales
  f16_bits d;
};
struct BlockQ4_K {
  f16_bits d;
  f16_bits dmin;
  uint8_t scales[kKScaleBytes]; // eight 6-bit scales and eight 6-bit mins
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  f16_bits d;
  f16_bits dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];     // low 4 bits
  uint8_t qh[kQKK / 4];     // high 2 bits
  int8_t scales[kQKK / 16]; // 8-bit sub-block scales
  f16_bits d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16]; // sums of qs in groups of 16
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

} // namespace lathe::kernels
