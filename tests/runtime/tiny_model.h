// A tiny random model written as a GGUF file (F32 weights, so the decoder
// multiplies in float without quantizing activations), and a straightforward
// float64 forward pass over the same weights to check the decoder against.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"

namespace lathe::testing {

struct TinySpec {
  std::string arch = "llama"; // "llama" (interleaved rope) or "qwen2" (NeoX rope, Q/K/V biases)
  int64_t n_layers = 2;
  int64_t dim = 64;
  int64_t ffn_dim = 96;
  int64_t n_heads = 4;
  int64_t n_kv_heads = 2;
  int64_t vocab = 40;
  int64_t context = 64;
  float rope_theta = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied_output = false;
  bool rope_freqs = false; // a rope_freqs.weight tensor of angle divisors (Llama 3 style)
  uint32_t seed = 1;
};

struct TinyModel {
  TinySpec spec;
  std::map<std::string, std::vector<float>> tensors; // GGUF name -> values, rows of dims[0]
  std::map<std::string, std::vector<uint64_t>> dims;

  // A writer holding every metadata key and tensor (tests may add or drop some).
  gguf::testing::GgufWriter writer(const std::vector<std::string>& skip = {}) const;

  // Logits (n_tokens, vocab) of tokens at positions 0.. by the float64 reference.
  std::vector<double> reference_logits(const std::vector<int32_t>& tokens) const;
};

TinyModel make_tiny_model(const TinySpec& spec);

} // namespace lathe::testing
