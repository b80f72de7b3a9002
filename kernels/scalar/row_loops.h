// The loops that turn a format's block steps (formats.h) into a row dot
// product, a matvec and a matmul. Internal to kernels/scalar.
//
// All three add the per-block terms into one float accumulator in block
// order, so a token's result is bit-identical whichever kernel computed it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace lathe::kernels::scalar {

// Blocks are unpacked a few at a time in matmul: at most this many elements.
inline constexpr int64_t kUnpackElems = 2048;

// sum over blocks b of F::dot(unpack(w[b]), x[b]).
template <class F>
float format_vec_dot(const void* __restrict w, const void* __restrict x, int64_t n) {
  const auto* wb = static_cast<const typename F::Block*>(w);
  const auto* xb = static_cast<const typename F::Act*>(x);
  typename F::Unpacked u;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / F::kElems; ++b) {
    F::unpack(wb[b], u);
    sum += F::dot(u, xb[b]);
  }
  return sum;
}

// y[r] = row r . x for r in [row_begin, row_end).
template <class F>
void format_matvec(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                   int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const typename F::Block*>(w);
  const int64_t blocks = n / F::kElems;
  for (int64_t r = row_begin; r < row_end; ++r) y[r] = format_vec_dot<F>(rows + r * blocks, xq, n);
}

// Y[t][r] = row r . X row t. Rows outside, tokens inside: a piece of a weight
// row is unpacked once and dotted with every token of the chunk, so the weights
// stream from memory once per chunk instead of once per token.
template <class F>
void format_matmul(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                   int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  constexpr int64_t kPiece = std::max<int64_t>(1, kUnpackElems / F::kElems); // blocks per piece
  const auto* rows = static_cast<const typename F::Block*>(w);
  const auto* xs = static_cast<const typename F::Act*>(xq);
  const int64_t blocks = n / F::kElems; // per row, for weights and activations alike
  typename F::Unpacked u[kPiece];
  for (int64_t r = row_begin; r < row_end; ++r) {
    const typename F::Block* row = rows + r * blocks;
    for (int64_t t = 0; t < n_tokens; ++t) y[t * y_stride + r] = 0.0f;
    for (int64_t b0 = 0; b0 < blocks; b0 += kPiece) {
      const int64_t count = std::min(kPiece, blocks - b0);
      for (int64_t b = 0; b < count; ++b) F::unpack(row[b0 + b], u[b]);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const typename F::Act* x = xs + t * blocks + b0;
        float sum = y[t * y_stride + r];
        for (int64_t b = 0; b < count; ++b) sum += F::dot(u[b], x[b]);
        y[t * y_stride + r] = sum;
      }
    }
  }
}

// Float weights (F32, F16, BF16) against f32 activations: every entry is the
// row dot product itself.
using VecDotFn = float (*)(const void* __restrict w, const void* __restrict x, int64_t n);

template <VecDotFn Dot, int64_t kElemBytes>
void float_matvec(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                  int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const uint8_t*>(w);
  for (int64_t r = row_begin; r < row_end; ++r) y[r] = Dot(rows + r * n * kElemBytes, xq, n);
}

template <VecDotFn Dot, int64_t kElemBytes>
void float_matmul(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                  int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  const auto* rows = static_cast<const uint8_t*>(w);
  const auto* xs = static_cast<const float*>(xq);
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int64_t t = 0; t < n_tokens; ++t) y[t * y_stride + r] = Dot(rows + r * n * kElemBytes, xs + t * n, n);
  }
}

} // namespace lathe::kernels::scalar
