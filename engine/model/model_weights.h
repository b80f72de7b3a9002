// The model's weights as typed, non-owning views into the GGUF mapping.
// Nothing is copied or dequantized: a view is a pointer, a type and a shape.
// The one exception is asked for (kernels.matvec_layout: repacked): a matrix
// whose kernels read an interleaved layout in decode gets a repacked copy,
// owned by ModelWeights, beside its view of the mapping (prefill keeps
// reading the mapping).
// Shapes are written as (rows, row length), the row being contiguous, so a
// linear layer y = W x with x of width `in` has W of shape (out, in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "kernels/kernel_table.h"

namespace lathe {

struct WeightView {
  std::string_view name;                        // GGUF tensor name, for messages
  kernels::QuantType type = kernels::QuantType::F32;
  const std::byte* data = nullptr;              // into the mapping
  int64_t rows = 0;                             // output features (1 for a vector)
  int64_t cols = 0;                             // row length: input features
  int64_t row_bytes = 0;                        // bytes per row in `type`
  const std::byte* repacked = nullptr;          // the same matrix in its kernels' interleaved layout
                                                // (LinearKernels::repacked), owned by ModelWeights; null: none

  bool present() const { return data != nullptr; }
  const std::byte* row(int64_t r) const { return data + r * row_bytes; }
  // F32 vectors (norm weights, biases) as floats. PRECONDITION: type == F32.
  const float* f32() const { return reinterpret_cast<const float*>(data); }
};

struct LayerWeights {
  WeightView attn_norm; // (dim) F32
  WeightView wq;        // (n_heads * head_dim, dim)
  WeightView wk;        // (n_kv_heads * head_dim, dim)
  WeightView wv;        // (n_kv_heads * head_dim, dim)
  WeightView bq;        // (n_heads * head_dim) F32, qwen2 only (absent otherwise)
  WeightView bk;        // (n_kv_heads * head_dim) F32, qwen2 only
  WeightView bv;        // (n_kv_heads * head_dim) F32, qwen2 only
  WeightView wo;        // (dim, n_heads * head_dim)
  WeightView ffn_norm;  // (dim) F32
  WeightView w_gate;    // (ffn_dim, dim)
  WeightView w_up;      // (ffn_dim, dim)
  WeightView w_down;    // (dim, ffn_dim)
};

struct ModelWeights {
  WeightView token_embd;          // (vocab, dim), dequantized one row per token
  std::vector<LayerWeights> layers; // (n_layers)
  WeightView output_norm;         // (dim) F32
  WeightView output;              // (vocab, dim): output.weight, or token_embd when tied
  std::vector<float> rope_freq_factors; // (rope_dim / 2) divisors of the rope angles, or empty
  float rope_freq_scale = 1.0f;   // 1 / linear rope scaling factor

  struct FreeBytes {
    void operator()(std::byte* p) const;
  };
  // The repacked copies the views' `repacked` point into (64-byte aligned).
  std::vector<std::unique_ptr<std::byte[], FreeBytes>> repacked_storage;
};

// Finds, checks and types every tensor the decoder needs. Throws
// gguf::GgufError naming the tensor for a missing tensor, a wrong shape (with
// the expected one), or a type the kernel table cannot multiply.
ModelWeights load_model_weights(const gguf::GgufFile& file, const ModelConfig& config,
                                const kernels::KernelTable& kernels);

// Bytes the repacked copies of repack_model_weights would take.
int64_t repacked_weight_bytes(const ModelWeights& weights, const kernels::KernelTable& kernels);

// Gives every matrix of the layers and the output whose kernels offer an
// interleaved layout (LinearKernels::repacked, rows of at most max_cols
// elements) a repacked copy and points its view's `repacked` at it; the other
// matrices stay plain. Returns the number of matrices repacked.
int64_t repack_model_weights(ModelWeights& weights, const kernels::KernelTable& kernels);

} // namespace lathe
