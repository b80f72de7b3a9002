#include "engine/model/model_config.h"

#include <fmt/format.h>

namespace lathe {

std::string_view rope_style_name(RopeStyle style) {
  return style == RopeStyle::kNeox ? "neox" : "interleaved";
}

ModelConfig read_model_config(const gguf::GgufFile& f) {
  ModelConfig c;
  c.architecture = f.get<std::string>("general.architecture");
  c.name = f.get_or<std::string>("general.name", "");
  const std::string a = c.architecture + ".";
  c.n_layers = f.get<uint32_t>(a + "block_count");
  c.dim = f.get<uint32_t>(a + "embedding_length");
  c.ffn_dim = f.get<uint32_t>(a + "feed_forward_length");
  c.n_heads = f.get<uint32_t>(a + "attention.head_count");
  c.n_kv_heads = f.get_or<uint32_t>(a + "attention.head_count_kv", static_cast<uint32_t>(c.n_heads));
  c.context_length = f.get<uint32_t>(a + "context_length");
  c.rms_eps = f.get<float>(a + "attention.layer_norm_rms_epsilon");
  c.rope_theta = f.get_or<float>(a + "rope.freq_base", 10000.0f);

  const std::string file = f.path().string();
  if (c.n_layers <= 0 || c.dim <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0) {
    throw gguf::GgufError(fmt::format("{}: {}block_count, embedding_length and head counts must be positive", file, a));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    throw gguf::GgufError(fmt::format("{}: {}attention.head_count {} is not a multiple of head_count_kv {}", file, a,
                                      c.n_heads, c.n_kv_heads));
  }
  c.head_dim = f.get_or<uint32_t>(a + "attention.key_length", static_cast<uint32_t>(c.dim / c.n_heads));
  c.rope_dim = f.get_or<uint32_t>(a + "rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  if (c.rope_dim > c.head_dim || c.rope_dim % 2 != 0) {
    throw gguf::GgufError(fmt::format("{}: {}rope.dimension_count {} must be even and at most the head size {}", file,
                                      a, c.rope_dim, c.head_dim));
  }
  c.rope_style = c.architecture == "qwen2" ? RopeStyle::kNeox : RopeStyle::kInterleaved;

  if (const gguf::Value* t = f.find(a + "rope.scaling.type")) {
    c.rope_scaling.type = gguf::value_as<std::string>(*t, a + "rope.scaling.type");
    c.rope_scaling.factor = f.get_or<float>(a + "rope.scaling.factor", 1.0f);
    c.rope_scaling.original_context = f.get_or<uint32_t>(a + "rope.scaling.original_context_length", 0);
  }
  if (f.find_tensor("rope_freqs.weight")) c.rope_scaling.type = "llama3 (rope_freqs tensor)";

  const gguf::TensorInfo& embd = f.tensor("token_embd.weight");
  if (embd.dims.size() != 2 || embd.dims[0] != c.dim) {
    throw gguf::GgufError(fmt::format("{}: tensor 'token_embd.weight' has shape {}, expected {} x vocabulary", file,
                                      embd.shape_string(), c.dim));
  }
  c.vocab_size = embd.dims[1];
  c.tied_output = f.find_tensor("output.weight") == nullptr;
  return c;
}

} // namespace lathe
