#include "engine/model/model_weights.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <numbers>
#include <string>

namespace lathe {
namespace {

using kernels::QuantType;

// What a tensor is used for decides which types it may have.
enum class Use {
  kMatrix,    // multiplied: the kernel table must have matvec/matmul for its type
  kEmbedding, // rows looked up: its type must be dequantizable (and, if tied, multipliable)
  kVector,    // norm weight or bias: F32
};

std::string supported_matrix_types(const kernels::KernelTable& k) {
  std::string out;
  for (uint32_t id = 0; id < 64; ++id) {
    const auto traits = kernels::quant_traits(id);
    if (traits && k.linear(static_cast<QuantType>(id))) {
      if (!out.empty()) out += ", ";
      out += traits->name;
    }
  }
  return out;
}

class Loader {
 public:
  Loader(const gguf::GgufFile& file, const kernels::KernelTable& kernels)
      : file_(file), kernels_(kernels), path_(file.path().string()) {}

  // The tensor `name` with GGUF dims {cols} (a vector) or {cols, rows}.
  // `what` spells the expected shape in model terms for the message.
  WeightView get(const std::string& name, int64_t cols, int64_t rows, Use use, std::string_view what) const {
    const std::string expected = rows == 0 ? fmt::format("{}", cols) : fmt::format("{} x {}", cols, rows);
    const gguf::TensorInfo* t = file_.find_tensor(name);
    if (!t) {
      throw gguf::GgufError(
          fmt::format("{}: tensor '{}' is missing (expected shape {}: {})", path_, name, expected, what));
    }
    const bool shape_ok = rows == 0 ? (t->dims.size() == 1 && t->dims[0] == cols)
                                    : (t->dims.size() == 2 && t->dims[0] == cols && t->dims[1] == rows);
    if (!shape_ok) {
      throw gguf::GgufError(fmt::format("{}: tensor '{}' has shape {}, expected {} ({})", path_, name,
                                        t->shape_string(), expected, what));
    }
    check_type(*t, use);
    WeightView w;
    w.name = t->name;
    w.type = t->type;
    w.data = t->data;
    w.cols = cols;
    w.rows = rows == 0 ? 1 : rows;
    w.row_bytes = kernels::row_bytes(t->traits, cols);
    return w;
  }

  // As get(), or an absent view when the file has no such tensor.
  WeightView get_optional(const std::string& name, int64_t cols, int64_t rows, Use use,
                          std::string_view what) const {
    if (!file_.find_tensor(name)) return {};
    return get(name, cols, rows, use, what);
  }

 private:
  void check_type(const gguf::TensorInfo& t, Use use) const {
    switch (use) {
      case Use::kVector:
        if (t.type != QuantType::F32) {
          throw gguf::GgufError(
              fmt::format("{}: tensor '{}' has type {}; the decoder needs F32 for norm weights and biases", path_,
                          t.name, t.traits.name));
        }
        return;
      case Use::kEmbedding:
        if (!t.traits.dequantizable) {
          throw gguf::GgufError(fmt::format("{}: tensor '{}' has type {}, which has no dequantizer", path_, t.name,
                                            t.traits.name));
        }
        return;
      case Use::kMatrix:
        if (!kernels_.linear(t.type)) {
          throw gguf::GgufError(fmt::format("{}: tensor '{}' has type {}, which the {} kernels cannot multiply "
                                            "(supported: {})",
                                            path_, t.name, t.traits.name, kernels_.isa,
                                            supported_matrix_types(kernels_)));
        }
        return;
    }
  }

  const gguf::GgufFile& file_;
  const kernels::KernelTable& kernels_;
  std::string path_;
};

// Llama 3 rope scaling without a rope_freqs tensor: the divisor of each pair's
// angle, as the GGUF converter computes it from the scaling keys. Wavelengths
// shorter than original_context / high_freq_factor keep their frequency,
// those longer than original_context / low_freq_factor are divided by
// `factor`, and the band between is interpolated smoothly.
std::vector<float> llama3_freq_factors(const gguf::GgufFile& f, const ModelConfig& c) {
  const std::string a = c.architecture + ".";
  const double factor = c.rope_scaling.factor;
  const double low = f.get_or<float>(a + "rope.scaling.low_freq_factor", 1.0f);
  const double high = f.get_or<float>(a + "rope.scaling.high_freq_factor", 4.0f);
  const double old_ctx = c.rope_scaling.original_context > 0 ? static_cast<double>(c.rope_scaling.original_context)
                                                             : 8192.0;
  const double low_wavelen = old_ctx / low;
  const double high_wavelen = old_ctx / high;
  std::vector<float> out(static_cast<size_t>(c.rope_dim / 2));
  for (size_t i = 0; i < out.size(); ++i) {
    const double freq = 1.0 / std::pow(static_cast<double>(c.rope_theta),
                                       2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    double divisor;
    if (wavelen < high_wavelen) {
      divisor = 1.0;
    } else if (wavelen > low_wavelen) {
      divisor = factor;
    } else {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      divisor = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    out[i] = static_cast<float>(divisor);
  }
  return out;
}

void load_rope(const gguf::GgufFile& f, const ModelConfig& c, const Loader& loader, ModelWeights& w) {
  const std::string& type = c.rope_scaling.type;
  const WeightView freqs =
      loader.get_optional("rope_freqs.weight", c.rope_dim / 2, 0, Use::kVector, "rope_dim / 2 angle divisors");
  if (freqs.present()) {
    w.rope_freq_factors.assign(freqs.f32(), freqs.f32() + c.rope_dim / 2);
  }
  if (type == "none" || type.starts_with("llama3")) {
    if (!freqs.present() && type.starts_with("llama3")) w.rope_freq_factors = llama3_freq_factors(f, c);
  } else if (type == "linear") {
    if (!(c.rope_scaling.factor > 0.0f)) {
      throw gguf::GgufError(fmt::format("{}: linear rope scaling factor {} must be positive", f.path().string(),
                                        c.rope_scaling.factor));
    }
    w.rope_freq_scale = 1.0f / c.rope_scaling.factor;
  } else {
    throw gguf::GgufError(fmt::format("{}: rope scaling '{}' is not supported (supported: none, linear, llama3)",
                                      f.path().string(), type));
  }
}

} // namespace

ModelWeights load_model_weights(const gguf::GgufFile& f, const ModelConfig& c, const kernels::KernelTable& k) {
  if (!c.supported()) {
    throw gguf::GgufError(fmt::format("{}: architecture '{}' is not supported (supported: qwen2, llama)",
                                      f.path().string(), c.architecture));
  }
  const Loader loader(f, k);
  const int64_t dim = c.dim;
  const int64_t q_dim = c.n_heads * c.head_dim;
  const int64_t kv_dim = c.n_kv_heads * c.head_dim;
  const bool biases = c.architecture == "qwen2";

  ModelWeights w;
  w.token_embd = loader.get("token_embd.weight", dim, c.vocab_size, c.tied_output ? Use::kMatrix : Use::kEmbedding,
                            "dim x vocab");
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int64_t l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = fmt::format("blk.{}.", l);
    L.attn_norm = loader.get(p + "attn_norm.weight", dim, 0, Use::kVector, "dim");
    L.wq = loader.get(p + "attn_q.weight", dim, q_dim, Use::kMatrix, "dim x n_heads*head_dim");
    L.wk = loader.get(p + "attn_k.weight", dim, kv_dim, Use::kMatrix, "dim x n_kv_heads*head_dim");
    L.wv = loader.get(p + "attn_v.weight", dim, kv_dim, Use::kMatrix, "dim x n_kv_heads*head_dim");
    if (biases) {
      L.bq = loader.get(p + "attn_q.bias", q_dim, 0, Use::kVector, "n_heads*head_dim");
      L.bk = loader.get(p + "attn_k.bias", kv_dim, 0, Use::kVector, "n_kv_heads*head_dim");
      L.bv = loader.get(p + "attn_v.bias", kv_dim, 0, Use::kVector, "n_kv_heads*head_dim");
    } else {
      L.bq = loader.get_optional(p + "attn_q.bias", q_dim, 0, Use::kVector, "n_heads*head_dim");
      L.bk = loader.get_optional(p + "attn_k.bias", kv_dim, 0, Use::kVector, "n_kv_heads*head_dim");
      L.bv = loader.get_optional(p + "attn_v.bias", kv_dim, 0, Use::kVector, "n_kv_heads*head_dim");
    }
    L.wo = loader.get(p + "attn_output.weight", q_dim, dim, Use::kMatrix, "n_heads*head_dim x dim");
    L.ffn_norm = loader.get(p + "ffn_norm.weight", dim, 0, Use::kVector, "dim");
    L.w_gate = loader.get(p + "ffn_gate.weight", dim, c.ffn_dim, Use::kMatrix, "dim x ffn_dim");
    L.w_up = loader.get(p + "ffn_up.weight", dim, c.ffn_dim, Use::kMatrix, "dim x ffn_dim");
    L.w_down = loader.get(p + "ffn_down.weight", c.ffn_dim, dim, Use::kMatrix, "ffn_dim x dim");
  }
  w.output_norm = loader.get("output_norm.weight", dim, 0, Use::kVector, "dim");
  w.output = c.tied_output ? w.token_embd
                           : loader.get("output.weight", dim, c.vocab_size, Use::kMatrix, "dim x vocab");
  load_rope(f, c, loader, w);
  return w;
}

void ModelWeights::FreeBytes::operator()(std::byte* p) const { std::free(p); }

namespace {

// The layout the loader uses for a matrix, or nullptr to keep it plain.
const kernels::RepackedLayout* layout_for(const WeightView& v, const kernels::KernelTable& k) {
  if (!v.present()) return nullptr;
  const kernels::LinearKernels* lk = k.linear(v.type);
  if (!lk || !lk->repacked.matvec) return nullptr;
  if (lk->repacked.max_cols > 0 && v.cols > lk->repacked.max_cols) return nullptr;
  return &lk->repacked;
}

// fn(view) for every matrix the forward pass multiplies.
template <class Weights, class Fn>
void for_each_matrix(Weights& w, Fn fn) {
  for (auto& L : w.layers) {
    for (auto* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) fn(*v);
  }
  fn(w.output);
}

} // namespace

int64_t repacked_weight_bytes(const ModelWeights& weights, const kernels::KernelTable& k) {
  int64_t bytes = 0;
  for_each_matrix(weights, [&](const WeightView& v) {
    if (const kernels::RepackedLayout* layout = layout_for(v, k)) bytes += layout->bytes(v.rows, v.cols);
  });
  return bytes;
}

int64_t repack_model_weights(ModelWeights& w, const kernels::KernelTable& k) {
  int64_t count = 0;
  for_each_matrix(w, [&](WeightView& v) {
    const kernels::RepackedLayout* layout = layout_for(v, k);
    if (!layout) return;
    const auto size = static_cast<size_t>((layout->bytes(v.rows, v.cols) + 63) / 64 * 64);
    auto* p = static_cast<std::byte*>(std::aligned_alloc(64, size));
    if (!p) throw std::bad_alloc();
    w.repacked_storage.emplace_back(p);
    layout->repack(v.data, p, v.rows, v.cols);
    v.repacked = p;
    ++count;
  });
  return count;
}

} // namespace lathe
