#include "engine/runtime/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/runtime/thread_pin.h"

namespace lathe {
namespace {

int64_t resolve_context(const ModelConfig& c, const SessionOptions& o) {
  if (o.n_ctx < 0) throw std::invalid_argument(fmt::format("context length {} must be positive", o.n_ctx));
  if (o.n_ctx > c.context_length) {
    throw std::invalid_argument(
        fmt::format("context length {} exceeds the model's {}", o.n_ctx, c.context_length));
  }
  return o.n_ctx == 0 ? std::min(c.context_length, SessionOptions::kDefaultContext) : o.n_ctx;
}

// The chunk, capped at the context and at the window: a longer one could not
// run in one pass (the context), or would need a larger ring (the window).
int64_t resolve_chunk(const SessionOptions& o, int64_t n_ctx, int64_t window) {
  if (o.chunk <= 0) throw std::invalid_argument(fmt::format("prefill chunk {} must be positive", o.chunk));
  return std::min({o.chunk, n_ctx, window > 0 ? window : n_ctx});
}

int64_t resolve_logit_rows(const SessionOptions& o, int64_t chunk) {
  if (o.logit_rows < 0) {
    throw std::invalid_argument(fmt::format("logit rows {} must not be negative", o.logit_rows));
  }
  return o.logit_rows == 0 ? chunk : std::min(o.logit_rows, chunk);
}

int resolve_threads(const SessionOptions& o) {
  if (o.n_threads <= 0) throw std::invalid_argument(fmt::format("thread count {} must be positive", o.n_threads));
  return o.n_threads;
}

int64_t resolve_window(const SessionOptions& o, int64_t n_ctx) {
  if (o.kv_window < 0) throw std::invalid_argument(fmt::format("KV window {} must not be negative", o.kv_window));
  return o.kv_window >= n_ctx ? 0 : o.kv_window; // a window as long as the context never rotates
}

// Rows of the KV cache: n_ctx, or the window plus room for one chunk.
int64_t cache_rows(int64_t window, int64_t chunk, int64_t n_ctx) {
  return window == 0 ? n_ctx : std::min(n_ctx, window + chunk - 1);
}

kernels::KvType check_kv_type(const ModelConfig& c, kernels::KvType type) {
  const int64_t block = kernels::kv_block_size(type);
  if (c.head_dim % block != 0) {
    throw std::invalid_argument(fmt::format("KV cache type {} stores blocks of {} elements: it needs a head_dim "
                                            "that is a multiple of {}, and this model's is {}",
                                            kernels::kv_type_name(type), block, block, c.head_dim));
  }
  return type;
}

kernels::RopeParams rope_params(const Model& m) {
  const ModelConfig& c = m.config();
  kernels::RopeParams p;
  p.head_dim = c.head_dim;
  p.rope_dim = c.rope_dim;
  p.theta_scale = std::pow(c.rope_theta, -2.0f / static_cast<float>(c.rope_dim));
  p.freq_scale = m.weights().rope_freq_scale;
  p.freq_factors = m.weights().rope_freq_factors.empty() ? nullptr : m.weights().rope_freq_factors.data();
  p.layout = c.rope_style == RopeStyle::kNeox ? kernels::RopeLayout::kNeox : kernels::RopeLayout::kInterleaved;
  return p;
}

// The model's kernel table, or its twin with the gemm on the vector unit
// (prefill.gemm_unit: vnni); the two differ in the gemm entries only.
const kernels::KernelTable& gemm_kernels(const Model& m, PrefillGemmUnit unit) {
  return kernels::with_gemm_unit(m.kernels(),
                                 unit == PrefillGemmUnit::kVnni ? kernels::GemmUnit::kVector : kernels::GemmUnit::kAuto);
}

// Floats of attention scratch per thread: what the kernels need for the
// largest call, a full chunk whose last query is at the end of the context.
int64_t attention_scratch(const kernels::KernelTable& k, const ModelConfig& c, int64_t chunk, int64_t n_ctx,
                          int64_t window) {
  kernels::AttentionShape s;
  s.n_tokens = chunk;
  s.pos0 = n_ctx - chunk;
  s.n_heads = c.n_heads;
  s.n_kv_heads = c.n_kv_heads;
  s.head_dim = c.head_dim;
  s.window = window;
  return k.attention_scratch_floats(s);
}

int64_t max_linear_cols(const ModelConfig& c) { return std::max({c.dim, c.n_heads * c.head_dim, c.ffn_dim}); }

} // namespace

Session::Session(const Model& model, const SessionOptions& options)
    : model_(&model),
      kernels_(&gemm_kernels(model, options.gemm_unit)),
      n_ctx_(resolve_context(model.config(), options)),
      chunk_(resolve_chunk(options, n_ctx_, resolve_window(options, n_ctx_))),
      logit_rows_(resolve_logit_rows(options, chunk_)),
      n_threads_(resolve_threads(options)),
      window_(resolve_window(options, n_ctx_)),
      rope_(rope_params(model)),
      kv_(model.config().n_layers, cache_rows(window_, chunk_, n_ctx_),
          model.config().n_kv_heads * model.config().head_dim, check_kv_type(model.config(), options.kv_type),
          options.huge_pages),
      act_(model.config(), chunk_, logit_rows_,
           attention_scratch(*kernels_, model.config(), chunk_, n_ctx_, window_), n_threads_),
      prefill_(options.prefill_backend, *kernels_, max_linear_cols(model.config()), chunk_, n_threads_) {
  history_.reserve(static_cast<size_t>(n_ctx_));
  if (options.pin_threads) pin_threads(n_threads_);
}

void Session::check(std::span<const int32_t> tokens) const {
  if (tokens.empty()) throw std::invalid_argument("no tokens to evaluate");
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n_past() + n > n_ctx_) {
    throw ContextFullError(fmt::format("context full: {} tokens in the cache + {} new exceed the context of {}",
                                       n_past(), n, n_ctx_));
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= vocab_size()) {
      throw std::out_of_range(fmt::format("token id {} is outside the vocabulary [0, {})", t, vocab_size()));
    }
  }
}

std::span<const float> Session::eval(std::span<const int32_t> tokens) {
  check(tokens);
  const int64_t n = static_cast<int64_t>(tokens.size());
  for (int64_t start = 0; start < n; start += chunk_) {
    const int64_t count = std::min(chunk_, n - start);
    forward(tokens.data() + start, count, false);
  }
  return {act_.logits.data(), static_cast<size_t>(vocab_size())};
}

std::span<const float> Session::eval_all(std::span<const int32_t> tokens) {
  check(tokens);
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n > logit_rows_) {
    throw std::invalid_argument(fmt::format(
        "eval_all takes at most {} tokens (SessionOptions::logit_rows, at most a chunk), got {}", logit_rows_, n));
  }
  forward(tokens.data(), n, true);
  return {act_.logits.data(), static_cast<size_t>(n * vocab_size())};
}

bool Session::can_rewind(int64_t n_keep) const {
  if (n_keep < 0 || n_keep > n_past()) return false;
  if (window_ == 0 || n_keep == 0) return true;
  // Position n_keep attends to n_keep - window + 1 .. n_keep - 1; the oldest
  // of them is intact unless a later position reused its row.
  const int64_t oldest = std::max<int64_t>(0, n_keep - window_ + 1);
  return oldest + kv_.n_rows() >= n_past();
}

int64_t Session::reusable_prefix(std::span<const int32_t> tokens) const {
  const size_t limit = std::min(tokens.size(), history_.size());
  int64_t n = static_cast<int64_t>(std::mismatch(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(limit),
                                                 history_.begin())
                                       .first -
                                   tokens.begin());
  while (n > 0 && !can_rewind(n)) --n;
  return n;
}

void Session::rewind(int64_t n_keep) {
  if (!can_rewind(n_keep)) {
    throw std::invalid_argument(
        n_keep < 0 || n_keep > n_past()
            ? fmt::format("cannot rewind to {} with {} tokens in the cache", n_keep, n_past())
            : fmt::format("cannot rewind to {}: the rotating window of {} has overwritten positions it attends to",
                          n_keep, window_));
  }
  history_.resize(static_cast<size_t>(n_keep));
}

size_t Session::memory_bytes() const {
  const auto floats = [](const std::vector<float>& v) { return v.size() * sizeof(float); };
  return kv_.bytes() + floats(act_.k) + floats(act_.v) + floats(act_.x) + floats(act_.xb) + floats(act_.xb2) + floats(act_.q) + floats(act_.att) +
         floats(act_.hb) + floats(act_.hb2) + floats(act_.scores) + floats(act_.logits) +
         prefill_.memory_bytes();
}

} // namespace lathe
