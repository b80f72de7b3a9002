// The quantized weight formats as the scalar kernels see them: each format
// unpacks one block into signed 8-bit codes plus its scales, and dots an
// unpacked block with one block of the activation format. Row dot products,
// matvec and matmul are loops over these two steps (row_loops.h), so all
// three do exactly the same arithmetic in the same order.
//
// Bit layouts are those documented at the top of kernels/scalar/dequantize.cpp;
// after unpacking, element j of a block is q[j]. Codes are centred where the
// format has no minimum (Q4_0: q - 8, Q5_0: q - 16, Q3_K: q - 4, Q6_K: q - 32)
// and left unsigned where it has one (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K).
//
// Per block, with isum = sum of code products in int32 (exact):
//   Q4_0/Q5_0/Q8_0 . Q8_0   (dw * dx) * isum
//   Q4_1/Q5_1 . Q8_1        (dw * dx) * isum + mw * sx          (sx = dx * sum(qx))
//   Q2_K/Q4_K/Q5_K . Q8_K   dw * dx * sum_s sc_s isum_s - dminw * dx * sum_s mn_s bsum_s
//   Q3_K/Q6_K . Q8_K        dw * dx * sum_s sc_s isum_s
// This is ggml's arithmetic; only the order of float additions across blocks
// may differ from its SIMD paths.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "kernels/quant_types.h"

namespace lathe::kernels::scalar::formats {

// IEEE half to float, exact for every finite value, branch-free for the
// compiler: the 15 exponent+mantissa bits are moved into float position and
// rebiased by a multiplication by 2^-112 (normals, infinities, NaNs), or read
// as a count of 2^-24 through the 0.5f trick (subnormals).
inline float half(f16_bits h) {
  const uint32_t w = static_cast<uint32_t>(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w; // exponent and mantissa, sign shifted out
  const float normal = std::bit_cast<float>((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
  const float subnormal = std::bit_cast<float>((two_w >> 17) | (126u << 23)) - 0.5f;
  const uint32_t bits = two_w < (1u << 27) ? std::bit_cast<uint32_t>(subnormal) : std::bit_cast<uint32_t>(normal);
  return std::bit_cast<float>(sign | bits);
}

// Sum of a[j] * b[j] over n int8 pairs, in int32 (exact).
inline int32_t dot_i8(const int8_t* __restrict a, const int8_t* __restrict b, int n) {
  int32_t sum = 0;
  for (int j = 0; j < n; ++j) sum += static_cast<int32_t>(a[j]) * static_cast<int32_t>(b[j]);
  return sum;
}

// The 32 fifth bits of a Q5_0 / Q5_1 block as 0x10 or 0 per element: bit j
// of the little-endian qh belongs to element j. (A test against a table of
// masks, which the compiler turns into vector compares.)
inline constexpr uint32_t kBitMask[32] = {
    1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,  1u << 8,  1u << 9,  1u << 10,
    1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15, 1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21,
    1u << 22, 1u << 23, 1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31};

inline void fifth_bits(const uint8_t qh[4], uint8_t* hi) {
  const uint32_t bits = uint32_t{qh[0]} | uint32_t{qh[1]} << 8 | uint32_t{qh[2]} << 16 | uint32_t{qh[3]} << 24;
  for (int j = 0; j < 32; ++j) hi[j] = (bits & kBitMask[j]) ? 0x10 : 0;
}

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins in 12 bytes.
//   bytes 0..3   bits 0..5: scale[0..3]   bits 6..7: scale[4..7] >> 4
//   bytes 4..7   bits 0..5: min[0..3]     bits 6..7: min[4..7] >> 4
//   bytes 8..11  low nibble: scale[4..7] & 15, high nibble: min[4..7] & 15
inline void k_scale_min(const uint8_t* s, int* scale, int* min) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = s[j] & 63;
    min[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scale[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    min[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// --- 32-element formats ------------------------------------------------------

struct Q4_0 {
  using Block = BlockQ4_0;
  using Act = BlockQ8_0;
  static constexpr int kElems = kQK;
  struct Unpacked {
    int8_t q[kQK];
    float d;
  };
  static void unpack(const Block& x, Unpacked& u) {
    for (int j = 0; j < kQK / 2; ++j) {
      u.q[j] = static_cast<int8_t>((x.qs[j] & 0xF) - 8);
      u.q[j + kQK / 2] = static_cast<int8_t>((x.qs[j] >> 4) - 8);
    }
    u.d = half(x.d);
  }
  static float dot(const Unpacked& u, const Act& y) {
    return u.d * half(y.d) * static_cast<float>(dot_i8(u.q, y.qs, kQK));
  }
};

struct Q4_1 {
  using Block = BlockQ4_1;
  using Act = BlockQ8_1;
  static constexpr int kElems = kQK;
  struct Unpacked {
    int8_t q[kQK];
    float d;
    float m;
  };
  static void unpack(const Block& x, Unpacked& u) {
    for (int j = 0; j < kQK / 2; ++j) {
      u.q[j] = static_cast<int8_t>(x.qs[j] & 0xF);
      u.q[j + kQK / 2] = static_cast<int8_t>(x.qs[j] >> 4);
    }
    u.d = half(x.d);
    u.m = half(x.m);
  }
  static float dot(const Unpacked& u, const Act& y) {
    return u.d * half(y.d) * static_cast<float>(dot_i8(u.q, y.qs, kQK)) + u.m * half(y.s);
  }
};

struct Q5_0 {
  using Block = BlockQ5_0;
  using Act = BlockQ8_0;
  static constexpr int kElems = kQK;
  using Unpacked = Q4_0::Unpacked;
  static void unpack(const Block& x, Unpacked& u) {
    uint8_t hi[kQK];
    fifth_bits(x.qh, hi);
    for (int j = 0; j < kQK / 2; ++j) {
      u.q[j] = static_cast<int8_t>(((x.qs[j] & 0xF) | hi[j]) - 16);
      u.q[j + kQK / 2] = static_cast<int8_t>(((x.qs[j] >> 4) | hi[j + kQK / 2]) - 16);
    }
    u.d = half(x.d);
  }
  static float dot(const Unpacked& u, const Act& y) { return Q4_0::dot(u, y); }
};

struct Q5_1 {
  using Block = BlockQ5_1;
  using Act = BlockQ8_1;
  static constexpr int kElems = kQK;
  using Unpacked = Q4_1::Unpacked;
  static void unpack(const Block& x, Unpacked& u) {
    uint8_t hi[kQK];
    fifth_bits(x.qh, hi);
    for (int j = 0; j < kQK / 2; ++j) {
      u.q[j] = static_cast<int8_t>((x.qs[j] & 0xF) | hi[j]);
      u.q[j + kQK / 2] = static_cast<int8_t>((x.qs[j] >> 4) | hi[j + kQK / 2]);
    }
    u.d = half(x.d);
    u.m = half(x.m);
  }
  static float dot(const Unpacked& u, const Act& y) { return Q4_1::dot(u, y); }
};

struct Q8_0 {
  using Block = BlockQ8_0;
  using Act = BlockQ8_0;
  static constexpr int kElems = kQK;
  using Unpacked = Q4_0::Unpacked;
  static void unpack(const Block& x, Unpacked& u) {
    std::memcpy(u.q, x.qs, kQK);
    u.d = half(x.d);
  }
  static float dot(const Unpacked& u, const Act& y) { return Q4_0::dot(u, y); }
};

// --- K formats: 256-element super-blocks --------------------------------------

// Sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K) elements.
template <int kSub>
struct KUnpacked {
  static constexpr int kSubBlocks = kQKK / kSub;
  int8_t q[kQKK];
  int scale[kSubBlocks];
  int min[kSubBlocks]; // unused by the formats without a minimum
  float d;
  float dmin;
};

// dw * dx * sum_s sc_s isum_s [- dminw * dx * sum_s mn_s bsum_s]
template <int kSub, bool kHasMin>
float k_dot(const KUnpacked<kSub>& u, const BlockQ8_K& y) {
  int32_t isum = 0;
  int32_t msum = 0;
  for (int s = 0; s < KUnpacked<kSub>::kSubBlocks; ++s) {
    isum += u.scale[s] * dot_i8(u.q + kSub * s, y.qs + kSub * s, kSub);
    if constexpr (kHasMin) {
      int32_t bsum = 0;
      for (int g = 0; g < kSub / 16; ++g) bsum += y.bsums[(kSub / 16) * s + g];
      msum += u.min[s] * bsum;
    }
  }
  if constexpr (kHasMin) {
    return u.d * y.d * static_cast<float>(isum) - u.dmin * y.d * static_cast<float>(msum);
  } else {
    return u.d * y.d * static_cast<float>(isum);
  }
}

struct Q2_K {
  using Block = BlockQ2_K;
  using Act = BlockQ8_K;
  static constexpr int kElems = kQKK;
  using Unpacked = KUnpacked<16>;
  // In half h, bits 2p..2p+1 of qs[32h + i] are the code of element 128h + 32p + i.
  static void unpack(const Block& x, Unpacked& u) {
    for (int h = 0; h < 2; ++h) {
      for (int p = 0; p < 4; ++p) {
        for (int i = 0; i < 32; ++i) {
          u.q[128 * h + 32 * p + i] = static_cast<int8_t>((x.qs[32 * h + i] >> (2 * p)) & 3);
        }
      }
    }
    for (int s = 0; s < 16; ++s) {
      u.scale[s] = x.scales[s] & 0xF;
      u.min[s] = x.scales[s] >> 4;
    }
    u.d = half(x.d);
    u.dmin = half(x.dmin);
  }
  static float dot(const Unpacked& u, const Act& y) { return k_dot<16, true>(u, y); }
};

struct Q3_K {
  using Block = BlockQ3_K;
  using Act = BlockQ8_K;
  static constexpr int kElems = kQKK;
  using Unpacked = KUnpacked<16>;
  // Low two bits as Q2_K; the third bit of element 32k + i is bit k of hmask[i].
  static void unpack(const Block& x, Unpacked& u) {
    for (int h = 0; h < 2; ++h) {
      for (int p = 0; p < 4; ++p) {
        const int k = 4 * h + p;
        for (int i = 0; i < 32; ++i) {
          const int low = (x.qs[32 * h + i] >> (2 * p)) & 3;
          const int high = (x.hmask[i] >> k) & 1;
          u.q[32 * k + i] = static_cast<int8_t>((low | (high << 2)) - 4);
        }
      }
    }
    // Sixteen 6-bit scales: low 4 bits in scales[0..7] (low nibbles for s < 8,
    // high nibbles of scales[s - 8] for s >= 8), high 2 bits at bit 2 * (s / 4)
    // of scales[8 + s % 4]; stored with a bias of 32.
    for (int s = 0; s < 16; ++s) {
      const int lo = s < 8 ? (x.scales[s] & 0xF) : (x.scales[s - 8] >> 4);
      const int hi = (x.scales[8 + s % 4] >> (2 * (s / 4))) & 3;
      u.scale[s] = (lo | (hi << 4)) - 32;
      u.min[s] = 0;
    }
    u.d = half(x.d);
    u.dmin = 0.0f;
  }
  static float dot(const Unpacked& u, const Act& y) { return k_dot<16, false>(u, y); }
};

struct Q4_K {
  using Block = BlockQ4_K;
  using Act = BlockQ8_K;
  static constexpr int kElems = kQKK;
  using Unpacked = KUnpacked<32>;
  // The low nibble of qs[32c + i] is element 64c + i, the high nibble 64c + 32 + i.
  static void unpack(const Block& x, Unpacked& u) {
    for (int c = 0; c < 4; ++c) {
      for (int i = 0; i < 32; ++i) {
        u.q[64 * c + i] = static_cast<int8_t>(x.qs[32 * c + i] & 0xF);
        u.q[64 * c + 32 + i] = static_cast<int8_t>(x.qs[32 * c + i] >> 4);
      }
    }
    k_scale_min(x.scales, u.scale, u.min);
    u.d = half(x.d);
    u.dmin = half(x.dmin);
  }
  static float dot(const Unpacked& u, const Act& y) { return k_dot<32, true>(u, y); }
};

struct Q5_K {
  using Block = BlockQ5_K;
  using Act = BlockQ8_K;
  static constexpr int kElems = kQKK;
  using Unpacked = KUnpacked<32>;
  // As Q4_K, with the fifth bit of element 32s + i at bit s of qh[i].
  static void unpack(const Block& x, Unpacked& u) {
    for (int c = 0; c < 4; ++c) {
      for (int i = 0; i < 32; ++i) {
        const int h0 = ((x.qh[i] >> (2 * c)) & 1) << 4;
        const int h1 = ((x.qh[i] >> (2 * c + 1)) & 1) << 4;
        u.q[64 * c + i] = static_cast<int8_t>((x.qs[32 * c + i] & 0xF) | h0);
        u.q[64 * c + 32 + i] = static_cast<int8_t>((x.qs[32 * c + i] >> 4) | h1);
      }
    }
    k_scale_min(x.scales, u.scale, u.min);
    u.d = half(x.d);
    u.dmin = half(x.dmin);
  }
  static float dot(const Unpacked& u, const Act& y) { return k_dot<32, true>(u, y); }
};

struct Q6_K {
  using Block = BlockQ6_K;
  using Act = BlockQ8_K;
  static constexpr int kElems = kQKK;
  using Unpacked = KUnpacked<16>;
  // In half h, element 128h + 32k + i takes its low 4 bits from
  // ql[64h + 32 (k % 2) + i] (low nibble for k < 2, high for k >= 2) and its
  // high 2 bits from bits 2k..2k+1 of qh[32h + i].
  static void unpack(const Block& x, Unpacked& u) {
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x.ql + 64 * h;
      const uint8_t* qh = x.qh + 32 * h;
      int8_t* q = u.q + 128 * h;
      for (int i = 0; i < 32; ++i) {
        q[i] = static_cast<int8_t>(((ql[i] & 0xF) | ((qh[i] & 3) << 4)) - 32);
        q[32 + i] = static_cast<int8_t>(((ql[32 + i] & 0xF) | (((qh[i] >> 2) & 3) << 4)) - 32);
        q[64 + i] = static_cast<int8_t>(((ql[i] >> 4) | (((qh[i] >> 4) & 3) << 4)) - 32);
        q[96 + i] = static_cast<int8_t>(((ql[32 + i] >> 4) | (((qh[i] >> 6) & 3) << 4)) - 32);
      }
    }
    for (int s = 0; s < 16; ++s) {
      u.scale[s] = x.scales[s];
      u.min[s] = 0;
    }
    u.d = half(x.d);
    u.dmin = 0.0f;
  }
  static float dot(const Unpacked& u, const Act& y) { return k_dot<16, false>(u, y); }
};

} // namespace lathe::kernels::scalar::formats
