// Causal grouped-query attention over a key/value cache in any KvType: the
// reference every SIMD attention kernel is tested against.
//
// Data layout: q and out are (n_tokens, n_heads * head_dim); a cache row is
// one position's n_kv_heads * head_dim elements in the cache's type
// (kernels/kv_types.h). Query head h reads KV head h / (n_heads / n_kv_heads),
// straight from the cache. Query t (position pos0 + t) reads the positions
// key_runs() gives: 0 .. pos0 + t, or the window's part of them; later
// positions are never read, which is the causal mask.
//
// Per (token, head), as ggml's soft_max: s_p = (q . k_p) * scale, with k_p's
// elements dequantized one by one (exact in float); m = max s;
// e_p = exp(s_p - m), summed in double; out = sum_p (e_p / sum) v_p, in float.

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/dequantize.h"
#include "kernels/scalar/scalar_kernels.h"

namespace lathe::kernels::scalar {
namespace {

// Element i of a KV head's row, for each cache type.
struct F32Elems {
  static float at(const uint8_t* row, int64_t i) {
    float x;
    std::memcpy(&x, row + 4 * i, sizeof x);
    return x;
  }
};
struct F16Elems {
  static float at(const uint8_t* row, int64_t i) {
    f16_bits h;
    std::memcpy(&h, row + 2 * i, sizeof h);
    return f16_to_f32(h);
  }
};
struct Q8_0Elems {
  static float at(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + i / kQK;
    return f16_to_f32(b->d) * static_cast<float>(b->qs[i % kQK]);
  }
};
struct Q4_0Elems {
  static float at(const uint8_t* row, int64_t i) {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + i / kQK;
    const int j = static_cast<int>(i % kQK);
    const int code = j < kQK / 2 ? b->qs[j] & 0x0F : b->qs[j - kQK / 2] >> 4;
    return f16_to_f32(b->d) * static_cast<float>(code - 8);
  }
};

template <class Elems, KvType kType>
void attend(const AttentionShape& s, const float* __restrict q, const void* __restrict k, const void* __restrict v,
            float* __restrict out, float* __restrict scores, int64_t head_begin, int64_t head_end) {
  const int64_t hd = s.head_dim;
  const int64_t q_stride = s.n_heads * hd;
  const int64_t row_bytes = kv_row_bytes(kType, s.n_kv_heads * hd);
  const int64_t group = s.n_heads / s.n_kv_heads;
  const auto* k_rows = static_cast<const uint8_t*>(k);
  const auto* v_rows = static_cast<const uint8_t*>(v);

  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const KeyRuns runs = key_runs(s.pos0 + t, s.window, s.n_slots);
    for (int64_t h = head_begin; h < head_end; ++h) {
      const float* qh = q + t * q_stride + h * hd;
      const int64_t head_offset = kv_row_bytes(kType, (h / group) * hd);

      // scores[j] for the j-th key read, runs in order
      float max = -INFINITY;
      int64_t n = 0;
      for (int r = 0; r < 2; ++r) {
        for (int64_t row = runs.row[r]; row < runs.row[r] + runs.count[r]; ++row, ++n) {
          const uint8_t* kp = k_rows + row * row_bytes + head_offset;
          float dot = 0.0f;
          for (int64_t i = 0; i < hd; ++i) dot += qh[i] * Elems::at(kp, i);
          scores[n] = dot * s.scale;
          max = std::fmax(max, scores[n]);
        }
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j) {
        scores[j] = std::exp(scores[j] - max);
        sum += scores[j];
      }
      const float inv_sum = static_cast<float>(1.0 / sum);

      float* oh = out + t * q_stride + h * hd;
      for (int64_t i = 0; i < hd; ++i) oh[i] = 0.0f;
      int64_t j = 0;
      for (int r = 0; r < 2; ++r) {
        for (int64_t row = runs.row[r]; row < runs.row[r] + runs.count[r]; ++row, ++j) {
          const float weight = scores[j] * inv_sum;
          const uint8_t* vp = v_rows + row * row_bytes + head_offset;
          for (int64_t i = 0; i < hd; ++i) oh[i] += weight * Elems::at(vp, i);
        }
      }
    }
  }
}

} // namespace

void attention_f32(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  attend<F32Elems, KvType::kF32>(s, q, k, v, out, scores, head_begin, head_end);
}

void attention_f16(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                   const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                   int64_t head_end) {
  attend<F16Elems, KvType::kF16>(s, q, k, v, out, scores, head_begin, head_end);
}

void attention_q8_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                    int64_t head_end) {
  attend<Q8_0Elems, KvType::kQ8_0>(s, q, k, v, out, scores, head_begin, head_end);
}

void attention_q4_0(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                    const void* __restrict v, float* __restrict out, float* __restrict scores, int64_t head_begin,
                    int64_t head_end) {
  attend<Q4_0Elems, KvType::kQ4_0>(s, q, k, v, out, scores, head_begin, head_end);
}

} // namespace lathe::kernels::scalar
