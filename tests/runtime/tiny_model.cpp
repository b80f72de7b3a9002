#include "tiny_model.h"

#include <fmt/format.h>

#include <cmath>
#include <random>

namespace lathe::testing {

using gguf::testing::GgufWriter;
using gguf::testing::MetaValue;

TinyModel make_tiny_model(const TinySpec& s) {
  TinyModel m;
  m.spec = s;
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t hd = s.dim / s.n_heads;
  const auto add = [&](const std::string& name, std::vector<uint64_t> dims, float scale, float offset = 0.0f) {
    size_t n = 1;
    for (uint64_t d : dims) n *= d;
    std::vector<float> v(n);
    for (float& x : v) x = offset + scale * normal(rng);
    m.tensors[name] = std::move(v);
    m.dims[name] = std::move(dims);
  };
  const auto u = [](int64_t x) { return static_cast<uint64_t>(x); };
  const float w = 1.0f / std::sqrt(static_cast<float>(s.dim));
  add("token_embd.weight", {u(s.dim), u(s.vocab)}, 1.0f);
  for (int64_t l = 0; l < s.n_layers; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    add(p + "attn_norm.weight", {u(s.dim)}, 0.1f, 1.0f);
    add(p + "attn_q.weight", {u(s.dim), u(s.n_heads * hd)}, w);
    add(p + "attn_k.weight", {u(s.dim), u(s.n_kv_heads * hd)}, w);
    add(p + "attn_v.weight", {u(s.dim), u(s.n_kv_heads * hd)}, w);
    if (s.arch == "qwen2") {
      add(p + "attn_q.bias", {u(s.n_heads * hd)}, 0.5f);
      add(p + "attn_k.bias", {u(s.n_kv_heads * hd)}, 0.5f);
      add(p + "attn_v.bias", {u(s.n_kv_heads * hd)}, 0.5f);
    }
    add(p + "attn_output.weight", {u(s.n_heads * hd), u(s.dim)}, w);
    add(p + "ffn_norm.weight", {u(s.dim)}, 0.1f, 1.0f);
    add(p + "ffn_gate.weight", {u(s.dim), u(s.ffn_dim)}, w);
    add(p + "ffn_up.weight", {u(s.dim), u(s.ffn_dim)}, w);
    add(p + "ffn_down.weight", {u(s.ffn_dim), u(s.dim)}, 1.0f / std::sqrt(static_cast<float>(s.ffn_dim)));
  }
  add("output_norm.weight", {u(s.dim)}, 0.1f, 1.0f);
  if (!s.tied_output) add("output.weight", {u(s.dim), u(s.vocab)}, w);
  if (s.rope_freqs) {
    std::vector<float> f(static_cast<size_t>(hd / 2));
    for (size_t i = 0; i < f.size(); ++i) f[i] = 1.0f + static_cast<float>(i % 3); // divisors 1, 2, 3, 1, ...
    m.tensors["rope_freqs.weight"] = f;
    m.dims["rope_freqs.weight"] = {u(hd / 2)};
  }
  return m;
}

GgufWriter TinyModel::writer(const std::vector<std::string>& skip) const {
  const TinySpec& s = spec;
  const std::string a = s.arch + ".";
  GgufWriter w;
  w.meta("general.architecture", MetaValue::string(s.arch));
  w.meta(a + "block_count", MetaValue::u32(static_cast<uint32_t>(s.n_layers)));
  w.meta(a + "embedding_length", MetaValue::u32(static_cast<uint32_t>(s.dim)));
  w.meta(a + "feed_forward_length", MetaValue::u32(static_cast<uint32_t>(s.ffn_dim)));
  w.meta(a + "attention.head_count", MetaValue::u32(static_cast<uint32_t>(s.n_heads)));
  w.meta(a + "attention.head_count_kv", MetaValue::u32(static_cast<uint32_t>(s.n_kv_heads)));
  w.meta(a + "context_length", MetaValue::u32(static_cast<uint32_t>(s.context)));
  w.meta(a + "attention.layer_norm_rms_epsilon", MetaValue::f32(s.rms_eps));
  w.meta(a + "rope.freq_base", MetaValue::f32(s.rope_theta));
  for (const auto& [name, values] : tensors) {
    bool skipped = false;
    for (const std::string& k : skip) skipped |= k == name;
    if (!skipped) w.tensor_f32(name, dims.at(name), values);
  }
  return w;
}

std::vector<double> TinyModel::reference_logits(const std::vector<int32_t>& tokens) const {
  const TinySpec& s = spec;
  const int64_t dim = s.dim, hd = s.dim / s.n_heads, n = static_cast<int64_t>(tokens.size());
  const int64_t kv_dim = s.n_kv_heads * hd;
  const auto T = [&](const std::string& name) -> const std::vector<float>& { return tensors.at(name); };
  // y (rows) = W (rows, cols) x (cols)
  const auto matvec = [](const std::vector<float>& W, const std::vector<double>& x, int64_t rows) {
    const int64_t cols = static_cast<int64_t>(x.size());
    std::vector<double> y(static_cast<size_t>(rows), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) y[static_cast<size_t>(r)] += W[static_cast<size_t>(r * cols + c)] * x[static_cast<size_t>(c)];
    }
    return y;
  };
  const auto rmsnorm = [&](const std::vector<double>& x, const std::vector<float>& g) {
    double ss = 0.0;
    for (double v : x) ss += v * v;
    const double scale = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + s.rms_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * g[i];
    return y;
  };
  const bool neox = s.arch == "qwen2";
  const auto rope = [&](std::vector<double>& v, int64_t heads, int64_t pos) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < hd / 2; ++i) {
        double angle = static_cast<double>(pos) * std::pow(static_cast<double>(s.rope_theta), -2.0 * static_cast<double>(i) / static_cast<double>(hd));
        if (s.rope_freqs) angle /= T("rope_freqs.weight")[static_cast<size_t>(i)];
        const size_t a = static_cast<size_t>(h * hd + (neox ? i : 2 * i));
        const size_t b = a + static_cast<size_t>(neox ? hd / 2 : 1);
        const double x0 = v[a], x1 = v[b];
        v[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
        v[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
      }
    }
  };

  std::vector<std::vector<double>> x(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t) {
    const float* row = T("token_embd.weight").data() + tokens[static_cast<size_t>(t)] * dim;
    x[static_cast<size_t>(t)].assign(row, row + dim);
  }
  for (int64_t l = 0; l < s.n_layers; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    std::vector<std::vector<double>> K(static_cast<size_t>(n)), V(static_cast<size_t>(n)), Q(static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t) {
      const auto xb = rmsnorm(x[static_cast<size_t>(t)], T(p + "attn_norm.weight"));
      Q[t] = matvec(T(p + "attn_q.weight"), xb, s.n_heads * hd);
      K[t] = matvec(T(p + "attn_k.weight"), xb, kv_dim);
      V[t] = matvec(T(p + "attn_v.weight"), xb, kv_dim);
      if (s.arch == "qwen2") {
        for (size_t i = 0; i < Q[t].size(); ++i) Q[t][i] += T(p + "attn_q.bias")[i];
        for (size_t i = 0; i < K[t].size(); ++i) K[t][i] += T(p + "attn_k.bias")[i];
        for (size_t i = 0; i < V[t].size(); ++i) V[t][i] += T(p + "attn_v.bias")[i];
      }
      rope(Q[t], s.n_heads, t);
      rope(K[t], s.n_kv_heads, t);
    }
    for (int64_t t = 0; t < n; ++t) {
      std::vector<double> att(static_cast<size_t>(s.n_heads * hd), 0.0);
      for (int64_t h = 0; h < s.n_heads; ++h) {
        const int64_t kh = h / (s.n_heads / s.n_kv_heads);
        std::vector<double> sc(static_cast<size_t>(t + 1));
        double mx = -1e300;
        for (int64_t p2 = 0; p2 <= t; ++p2) {
          double d = 0.0;
          for (int64_t i = 0; i < hd; ++i) d += Q[t][h * hd + i] * K[p2][kh * hd + i];
          sc[static_cast<size_t>(p2)] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, sc[static_cast<size_t>(p2)]);
        }
        double sum = 0.0;
        for (double& v : sc) sum += (v = std::exp(v - mx));
        for (int64_t p2 = 0; p2 <= t; ++p2) {
          for (int64_t i = 0; i < hd; ++i) att[h * hd + i] += sc[static_cast<size_t>(p2)] / sum * V[p2][kh * hd + i];
        }
      }
      const auto o = matvec(T(p + "attn_output.weight"), att, dim);
      for (int64_t i = 0; i < dim; ++i) x[t][i] += o[i];
      const auto xb = rmsnorm(x[t], T(p + "ffn_norm.weight"));
      const auto g = matvec(T(p + "ffn_gate.weight"), xb, s.ffn_dim);
      const auto u = matvec(T(p + "ffn_up.weight"), xb, s.ffn_dim);
      std::vector<double> hdn(static_cast<size_t>(s.ffn_dim));
      for (size_t i = 0; i < hdn.size(); ++i) hdn[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      const auto d = matvec(T(p + "ffn_down.weight"), hdn, dim);
      for (int64_t i = 0; i < dim; ++i) x[t][i] += d[i];
    }
  }
  const std::vector<float>& out = s.tied_output ? T("token_embd.weight") : T("output.weight");
  std::vector<double> logits;
  for (int64_t t = 0; t < n; ++t) {
    const auto y = matvec(out, rmsnorm(x[t], T("output_norm.weight")), s.vocab);
    logits.insert(logits.end(), y.begin(), y.end());
  }
  return logits;
}

} // namespace lathe::testing
