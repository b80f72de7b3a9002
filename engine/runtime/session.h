// A decoding session: one conversation's key/value cache and scratch
// buffers over a shared, immutable Model. Everything is allocated when the
// session is made; evaluating tokens never allocates.
//
// Tokens are appended at positions n_past(), n_past() + 1, ...; rewind()
// forgets the tail so that a new continuation can reuse a common prefix.
//
// With a rotating window (SessionOptions::kv_window = W > 0), each token
// attends to the last W positions only (itself included), and the cache
// holds little more than those; positions, and rope angles, keep counting up
// to n_ctx.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/activations.h"
#include "engine/runtime/kv_cache.h"
#include "engine/runtime/prefill_gemm.h"

namespace lathe {

// Thrown when tokens would not fit in the context.
class ContextFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SessionOptions {
  int64_t n_ctx = 0;  // context length; 0: the model's, capped at kDefaultContext
  int64_t chunk = 512; // prefill tokens per forward pass (the matrix path), at most: capped at n_ctx and kv_window
  // Tokens whose logits one eval_all() call can return: the logits buffer is
  // (logit_rows, vocab), 1.2 MB per row for a 151,936-token vocabulary. 0: a
  // chunk's; 1 is all that eval() (generation) needs.
  int64_t logit_rows = 0;
  int n_threads = 1;  // threads for the matrix products and attention; results do not depend on it
  bool pin_threads = false; // pin thread t to the t-th allowed CPU (engine/runtime/thread_pin.h)
  kernels::KvType kv_type = kernels::KvType::kF32; // element type of the cached keys and values
  int64_t kv_window = 0;  // rotating window in tokens; 0 (or >= n_ctx): every position, no rotation
  bool huge_pages = false; // allocate the KV cache 2 MiB-aligned with MADV_HUGEPAGE
  PrefillBackend prefill_backend = PrefillBackend::kNative; // who multiplies the prefill chunks' matrices
  PrefillGemmUnit gemm_unit = PrefillGemmUnit::kAuto;        // where the native prefill GEMM runs (AMX or vectors)

  static constexpr int64_t kDefaultContext = 4096;
};

class Session {
 public:
  // Throws std::invalid_argument for a context, chunk or thread count that is
  // not positive, a context longer than the model's, a negative window, or a
  // block KV type (q8_0, q4_0) on a model whose head_dim is not a multiple
  // of 32; std::runtime_error when pin_threads is set and the threads cannot
  // be pinned.
  explicit Session(const Model& model, const SessionOptions& options = {});

  // Runs `tokens` through the model, `chunk` at a time, and returns the
  // logits of the last one: (vocab). The span is valid until the next call.
  // Throws ContextFullError when n_past() + tokens.size() > n_ctx() and
  // std::out_of_range for a token outside the vocabulary; either way nothing
  // is evaluated.
  std::span<const float> eval(std::span<const int32_t> tokens);

  // As eval() for at most logit_rows() tokens, returning the logits of every
  // one: (tokens.size(), vocab), row t predicting the token after tokens[t].
  std::span<const float> eval_all(std::span<const int32_t> tokens);

  // Called after every layer of every forward pass with the residual stream
  // x: (n_tokens, dim) for positions pos0 .. pos0 + n_tokens - 1, to compare
  // layers with a reference runtime. Empty by default (then it costs one
  // test per layer). It must not keep the pointer.
  using LayerObserver = std::function<void(int64_t layer, int64_t pos0, int64_t n_tokens, const float* x)>;
  void set_layer_observer(LayerObserver observer) { layer_observer_ = std::move(observer); }

  // Keeps the first n_keep positions and forgets the rest. Throws
  // std::invalid_argument unless 0 <= n_keep <= n_past() and the window's
  // positions before n_keep are still in the cache (can_rewind).
  void rewind(int64_t n_keep);
  // Whether rewind(n_keep) is possible: always without a window; with one,
  // only while the rotation has not overwritten what position n_keep attends to.
  bool can_rewind(int64_t n_keep) const;
  // How many leading tokens of `tokens` the session can keep for them: the
  // longest common prefix with tokens(), shortened to what can_rewind allows
  // (0 when nothing can be kept).
  int64_t reusable_prefix(std::span<const int32_t> tokens) const;
  void reset() { rewind(0); }

  const Model& model() const { return *model_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t chunk() const { return chunk_; }
  // The most tokens one eval_all() call takes: <= chunk().
  int64_t logit_rows() const { return logit_rows_; }
  int n_threads() const { return n_threads_; }
  kernels::KvType kv_type() const { return kv_.type(); }
  int64_t kv_window() const { return window_; } // 0: no rotation
  int64_t n_past() const { return static_cast<int64_t>(history_.size()); }
  int64_t vocab_size() const { return model_->config().vocab_size; }
  // The tokens in the cache, position by position: (n_past).
  std::span<const int32_t> tokens() const { return history_; }
  // Bytes of the KV cache and the scratch buffers.
  size_t memory_bytes() const;

 private:
  void check(std::span<const int32_t> tokens) const;
  // The forward pass of n <= chunk tokens at positions n_past() .. n_past() + n - 1,
  // leaving logits for all of them (all_logits, n <= logit_rows_) or the last
  // one in act_.logits.
  void forward(const int32_t* tokens, int64_t n, bool all_logits);
  // out (n_tokens, w.rows, row stride out_stride) = in (n_tokens, w.cols) W^T.
  void linear(const WeightView& w, LinearInput& in, float* out, int64_t out_stride);

  const Model* model_;
  const kernels::KernelTable* kernels_;
  int64_t n_ctx_;
  int64_t chunk_;
  int64_t logit_rows_; // <= chunk_
  int n_threads_;
  int64_t window_; // 0, or the rotating window (< n_ctx)
  kernels::RopeParams rope_;
  KvCache kv_;
  Activations act_;
  PrefillGemm prefill_;
  std::vector<int32_t> history_; // (n_past), capacity n_ctx
  LayerObserver layer_observer_;
};

} // namespace lathe
