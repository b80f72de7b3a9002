// Scalar dequantizers: the reference every SIMD kernel is checked against.
//
// Layouts (bit-exact with GGUF / ggml; structs in kernels/quant_types.h).
// "element" is the index inside one block; every block is decoded on its own.
//
//   Q4_0  32 elts  y = (q - 8) * d        q = low nibble of qs[j] for element j,
//                                          high nibble of qs[j] for element j + 16
//   Q4_1  32 elts  y = q * d + m          nibbles as Q4_0
//   Q5_0  32 elts  y = (q - 16) * d       q = nibble (as Q4_0) | fifth bit << 4, the
//                                          fifth bit of element j is bit j of qh
//                                          (qh read as a little-endian uint32)
//   Q5_1  32 elts  y = q * d + m          as Q5_0
//   Q8_0  32 elts  y = qs[j] * d
//
//   K formats: a 256-element super-block of 16 sub-blocks of 16 (Q2_K, Q3_K,
//   Q6_K) or 8 sub-blocks of 32 (Q4_K, Q5_K); sub-block s covers elements
//   [16s, 16s + 16) or [32s, 32s + 32).
//
//   Q2_K  y = d * sc[s] * q - dmin * mn[s]; sc, mn = low, high nibble of scales[s].
//         qs holds two 128-element halves of 32 bytes; in half h, bits 2p..2p+1
//         of qs[32h + i] are the code of element 128h + 32p + i.
//   Q3_K  y = d * (sc[s] - 32) * (q - 4); the low two bits of q are placed as in
//         Q2_K, the third bit of element 32k + i is bit k of hmask[i]. The 16
//         six-bit scales: low 4 bits in scales[0..7] (low nibbles for s < 8, high
//         nibbles of scales[s - 8] for s >= 8), high 2 bits at bit 2 * (s / 4)
//         of scales[8 + s % 4].
//   Q4_K  y = d * sc[s] * q - dmin * mn[s]; qs holds four 64-element chunks of
//         32 bytes: the low nibble of qs[32c + i] is element 64c + i (sub-block
//         2c), the high nibble element 64c + 32 + i (sub-block 2c + 1). Scales
//         and mins are 6 bits, packed in 12 bytes (see unpack_k_scale_min).
//   Q5_K  as Q4_K with a fifth bit: bit s of qh[i] for element 32s + i.
//   Q6_K  y = d * scales[s] * (q - 32), scales signed 8-bit. Two halves of 128:
//         in half h, element 128h + 32k + i (k = 0..3) takes its low 4 bits from
//         ql[64h + 32 * (k % 2) + i] (low nibble for k < 2, high for k >= 2) and
//         its high 2 bits from bits 2k..2k+1 of qh[32h + i].
//   Q8_K  y = qs[j] * d, d a float; bsums are not needed here.
//
// The arithmetic is done in the same order as ggml's reference (the scale
// products first, in float), so the outputs match it bit for bit.

#include "kernels/dequantize.h"

#include <cassert>
#include <cstring>

namespace lathe::kernels::scalar {
namespace {

// PRECONDITION for every row function: src is aligned for the block struct
// (2 bytes; 4 for F32 and Q8_K), as GGUF's 32-byte tensor alignment gives.
template <class Block>
const Block* as_blocks(const void* src) {
  return static_cast<const Block*>(src);
}

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins in 12 bytes.
//   bytes 0..3   bits 0..5: scale[0..3]   bits 6..7: scale[4..7] >> 4
//   bytes 4..7   bits 0..5: min[0..3]     bits 6..7: min[4..7] >> 4
//   bytes 8..11  low nibble: scale[4..7] & 15, high nibble: min[4..7] & 15
struct ScaleMin {
  int scale;
  int min;
};

ScaleMin unpack_k_scale_min(const uint8_t* s, int j) {
  if (j < 4) return {s[j] & 63, s[j + 4] & 63};
  return {(s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4)};
}

// Q3_K: sixteen 6-bit scales in 12 bytes (layout at the top); returns the
// signed scale, in [-32, 31].
int unpack_q3_k_scale(const uint8_t* s, int j) {
  const int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
  const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

// Fifth bits of a Q5_0 / Q5_1 block, independent of the host byte order.
uint32_t load_qh(const uint8_t qh[4]) {
  return uint32_t{qh[0]} | uint32_t{qh[1]} << 8 | uint32_t{qh[2]} << 16 | uint32_t{qh[3]} << 24;
}

} // namespace

void dequantize_row_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const f16_bits*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(x[i]);
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const bf16_bits*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(x[i]);
}

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  assert(n % kQK == 0);
  const auto* blocks = as_blocks<BlockQ4_0>(src);
  for (int64_t b = 0; b < n / kQK; ++b, dst += kQK) {
    const BlockQ4_0& x = blocks[b];
    const float d = f16_to_f32(x.d);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[j] = static_cast<float>((x.qs[j] & 0xF) - 8) * d;
      dst[j + kQK / 2] = static_cast<float>((x.qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
  assert(n % kQK == 0);
  const auto* blocks = as_blocks<BlockQ4_1>(src);
  for (int64_t b = 0; b < n / kQK; ++b, dst += kQK) {
    const BlockQ4_1& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const float m = f16_to_f32(x.m);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[j] = static_cast<float>(x.qs[j] & 0xF) * d + m;
      dst[j + kQK / 2] = static_cast<float>(x.qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
  assert(n % kQK == 0);
  const auto* blocks = as_blocks<BlockQ5_0>(src);
  for (int64_t b = 0; b < n / kQK; ++b, dst += kQK) {
    const BlockQ5_0& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const uint32_t qh = load_qh(x.qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1) << 4;
      const int h1 = static_cast<int>((qh >> (j + kQK / 2)) & 1) << 4;
      dst[j] = static_cast<float>(((x.qs[j] & 0xF) | h0) - 16) * d;
      dst[j + kQK / 2] = static_cast<float>(((x.qs[j] >> 4) | h1) - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
  assert(n % kQK == 0);
  const auto* blocks = as_blocks<BlockQ5_1>(src);
  for (int64_t b = 0; b < n / kQK; ++b, dst += kQK) {
    const BlockQ5_1& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const float m = f16_to_f32(x.m);
    const uint32_t qh = load_qh(x.qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1) << 4;
      const int h1 = static_cast<int>((qh >> (j + kQK / 2)) & 1) << 4;
      dst[j] = static_cast<float>((x.qs[j] & 0xF) | h0) * d + m;
      dst[j + kQK / 2] = static_cast<float>((x.qs[j] >> 4) | h1) * d + m;
    }
  }
}

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  assert(n % kQK == 0);
  const auto* blocks = as_blocks<BlockQ8_0>(src);
  for (int64_t b = 0; b < n / kQK; ++b, dst += kQK) {
    const BlockQ8_0& x = blocks[b];
    const float d = f16_to_f32(x.d);
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(x.qs[j]) * d;
  }
}

void dequantize_row_q2_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ2_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ2_K& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const float dmin = f16_to_f32(x.dmin);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(x.scales[s] & 0xF);
      const float ml = dmin * static_cast<float>(x.scales[s] >> 4);
      // Sub-block s: half s / 8, bit pair (s % 8) / 2, bytes 16 * (s % 2) on.
      const uint8_t* q = x.qs + 32 * (s / 8) + 16 * (s % 2);
      const int shift = 2 * ((s % 8) / 2);
      for (int i = 0; i < 16; ++i) {
        dst[16 * s + i] = dl * static_cast<float>((q[i] >> shift) & 3) - ml;
      }
    }
  }
}

void dequantize_row_q3_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ3_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ3_K& x = blocks[b];
    const float d = f16_to_f32(x.d);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(unpack_q3_k_scale(x.scales, s));
      const int off = 16 * (s % 2);
      const uint8_t* q = x.qs + 32 * (s / 8) + off; // low two bits, as Q2_K
      const uint8_t* hm = x.hmask + off;            // bit s / 2 is the third bit
      const int shift = 2 * ((s % 8) / 2);
      const int hbit = s / 2;
      for (int i = 0; i < 16; ++i) {
        const int lo = (q[i] >> shift) & 3;
        const int hi = (hm[i] >> hbit) & 1;
        dst[16 * s + i] = dl * static_cast<float>((lo | (hi << 2)) - 4);
      }
    }
  }
}

void dequantize_row_q4_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ4_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ4_K& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const float dmin = f16_to_f32(x.dmin);
    for (int s = 0; s < 8; ++s) {
      const ScaleMin sm = unpack_k_scale_min(x.scales, s);
      const float dl = d * static_cast<float>(sm.scale);
      const float ml = dmin * static_cast<float>(sm.min);
      const uint8_t* q = x.qs + 32 * (s / 2);
      const int shift = 4 * (s % 2);
      for (int i = 0; i < 32; ++i) {
        dst[32 * s + i] = dl * static_cast<float>((q[i] >> shift) & 0xF) - ml;
      }
    }
  }
}

void dequantize_row_q5_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ5_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ5_K& x = blocks[b];
    const float d = f16_to_f32(x.d);
    const float dmin = f16_to_f32(x.dmin);
    for (int s = 0; s < 8; ++s) {
      const ScaleMin sm = unpack_k_scale_min(x.scales, s);
      const float dl = d * static_cast<float>(sm.scale);
      const float ml = dmin * static_cast<float>(sm.min);
      const uint8_t* q = x.qs + 32 * (s / 2);
      const int shift = 4 * (s % 2);
      for (int i = 0; i < 32; ++i) {
        const int lo = (q[i] >> shift) & 0xF;
        const int hi = (x.qh[i] >> s) & 1;
        dst[32 * s + i] = dl * static_cast<float>(lo | (hi << 4)) - ml;
      }
    }
  }
}

void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ6_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ6_K& x = blocks[b];
    const float d = f16_to_f32(x.d);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * static_cast<float>(x.scales[s]);
      // Sub-block s: half h = s / 8, quarter k = (s % 8) / 2 of that half.
      const int h = s / 8;
      const int k = (s % 8) / 2;
      const int off = 16 * (s % 2);
      const uint8_t* ql = x.ql + 64 * h + 32 * (k % 2) + off;
      const uint8_t* qh = x.qh + 32 * h + off;
      const int lshift = 4 * (k / 2);
      const int hshift = 2 * k;
      for (int i = 0; i < 16; ++i) {
        const int lo = (ql[i] >> lshift) & 0xF;
        const int hi = (qh[i] >> hshift) & 3;
        dst[16 * s + i] = dl * static_cast<float>((lo | (hi << 4)) - 32);
      }
    }
  }
}

void dequantize_row_q8_k(const void* src, float* dst, int64_t n) {
  assert(n % kQKK == 0);
  const auto* blocks = as_blocks<BlockQ8_K>(src);
  for (int64_t b = 0; b < n / kQKK; ++b, dst += kQKK) {
    const BlockQ8_K& x = blocks[b];
    for (int j = 0; j < kQKK; ++j) dst[j] = static_cast<float>(x.qs[j]) * x.d;
  }
}

bool dequantize_row(QuantType type, const void* src, float* dst, int64_t n) {
  switch (type) {
  case QuantType::F32: dequantize_row_f32(src, dst, n); return true;
  case QuantType::F16: dequantize_row_f16(src, dst, n); return true;
  case QuantType::BF16: dequantize_row_bf16(src, dst, n); return true;
  case QuantType::Q4_0: dequantize_row_q4_0(src, dst, n); return true;
  case QuantType::Q4_1: dequantize_row_q4_1(src, dst, n); return true;
  case QuantType::Q5_0: dequantize_row_q5_0(src, dst, n); return true;
  case QuantType::Q5_1: dequantize_row_q5_1(src, dst, n); return true;
  case QuantType::Q8_0: dequantize_row_q8_0(src, dst, n); return true;
  case QuantType::Q2_K: dequantize_row_q2_k(src, dst, n); return true;
  case QuantType::Q3_K: dequantize_row_q3_k(src, dst, n); return true;
  case QuantType::Q4_K: dequantize_row_q4_k(src, dst, n); return true;
  case QuantType::Q5_K: dequantize_row_q5_k(src, dst, n); return true;
  case QuantType::Q6_K: dequantize_row_q6_k(src, dst, n); return true;
  case QuantType::Q8_K: dequantize_row_q8_k(src, dst, n); return true;
  default: return false;
  }
}

} // namespace lathe::kernels::scalar
