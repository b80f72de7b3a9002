// The model's hyper-parameters, read once from GGUF metadata and immutable
// afterwards. Keys are prefixed with the architecture name
// ("qwen2.block_count"), as the GGUF convention defines.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf/gguf_file.h"

namespace lathe {

enum class RopeStyle {
  kInterleaved, // pairs (2i, 2i+1): llama, whose Q/K the converter permuted
  kNeox,        // pairs (i, i + rot/2): qwen2
};

struct RopeScaling {
  std::string type = "none"; // none | linear | llama3
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 1.0f;
  int64_t original_context = 0;
};

struct ModelConfig {
  std::string architecture; // "qwen2" or "llama"
  std::string name;
  int64_t n_layers = 0;
  int64_t dim = 0;           // embedding width
  int64_t ffn_dim = 0;       // feed-forward hidden width
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;      // dim / n_heads unless the file says otherwise
  int64_t context_length = 0;
  int64_t vocab_size = 0;
  float rms_eps = 1e-6f;
  float rope_theta = 10000.0f;
  int64_t rope_dim = 0;      // rotated dimensions per head
  RopeStyle rope_style = RopeStyle::kInterleaved;
  RopeScaling rope_scaling;
  bool tied_output = false;  // no output.weight: the embedding is reused

  bool supported() const { return architecture == "qwen2" || architecture == "llama"; }
};

// Reads and checks the hyper-parameters; throws GgufError naming the key
// that is missing or inconsistent. Works for any llama-like architecture so
// that `lathe info` can describe it; supported() says whether we can run it.
ModelConfig read_model_config(const gguf::GgufFile& file);

std::string_view rope_style_name(RopeStyle style);

} // namespace lathe
