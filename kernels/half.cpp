// Conversions between float and the 16-bit float formats stored in GGUF.
//
// IEEE half: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
// bfloat16:  the top 16 bits of an IEEE float (1, 8, 7).
// float:     1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits.
//
// Everything is done on the bit patterns (std::bit_cast), so the results are
// the same on every host, with or without F16C / NEON fp16 instructions.

#include <bit>
#include <cstdint>

#include "kernels/dequantize.h"

namespace lathe::kernels {

float f16_to_f32(f16_bits h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;

  uint32_t bits;
  if (exp == 0x1f) {
    // Inf (mant == 0) or NaN; the NaN payload moves to the top of the float
    // mantissa, so a NaN stays a NaN.
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    // Normal: rebias the exponent from 15 to 127.
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign; // signed zero
  } else {
    // Subnormal half (mant * 2^-24) is a normal float: shift the mantissa
    // until its leading one reaches the implicit-bit position (bit 10).
    int e = -14;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e + 127) << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

f16_bits f32_to_f16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;

  if (abs >= 0x7f800000u) {
    if (abs == 0x7f800000u) return static_cast<f16_bits>(sign | 0x7c00u); // inf
    // NaN: keep the top payload bits and force the quiet bit, so the result
    // cannot collapse to inf.
    return static_cast<f16_bits>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  }
  // 65520 is halfway between the largest half (65504, odd mantissa) and 2^16:
  // from there on, round-to-nearest-even overflows to inf.
  if (abs >= 0x477ff000u) return static_cast<f16_bits>(sign | 0x7c00u);

  if (abs >= 0x38800000u) {
    // Normal half (|f| >= 2^-14): rebias the exponent, keep 10 mantissa bits,
    // round the 13 dropped bits to nearest even. A carry out of the mantissa
    // correctly bumps the exponent.
    const uint32_t exp = (abs >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | ((abs >> 13) & 0x3ffu);
    const uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<f16_bits>(sign | h);
  }

  // Subnormal half: |f| / 2^-24 rounded to an integer in [0, 1024]. At or
  // below 2^-25 (half of the smallest subnormal, a tie to the even 0) it is 0.
  if (abs <= 0x33000000u) return sign;
  const uint32_t mant = (abs & 0x7fffffu) | 0x800000u; // with the implicit one
  const uint32_t shift = 126 - (abs >> 23);            // 14 .. 24 here
  uint32_t h = mant >> shift;
  const uint32_t rest = mant & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1u))) ++h; // 1024 is the smallest normal
  return static_cast<f16_bits>(sign | h);
}

float bf16_to_f32(bf16_bits h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

} // namespace lathe::kernels
