// The forward pass: n tokens (one when decoding, up to a chunk when reading
// the prompt) through every layer, leaving logits in act_.logits. It uses only
// the kernel table and the session's preallocated buffers.
//
// Per layer (pre-norm transformer, as llama and qwen2 define it):
//   xb  = rmsnorm(x) * attn_norm
//   q, k, v = xb Wq^T (+ bq), xb Wk^T (+ bk), xb Wv^T (+ bv)
//   q, k = rope(q, pos), rope(k, pos)                           k and v are stored in the cache's type
//   att = softmax(q k^T / sqrt(head_dim), causal) v            grouped-query heads, over the cache
//   x  += att Wo^T
//   xb  = rmsnorm(x) * ffn_norm
//   x  += (silu(xb Wgate^T) * (xb Wup^T)) Wdown^T
// then logits = (rmsnorm(x) * output_norm) Wout^T for the rows asked for.

#include <cmath>

#include "engine/runtime/parallel.h"
#include "engine/runtime/session.h"

namespace lathe {

void Session::linear(const WeightView& w, LinearInput& in, float* out, int64_t out_stride) {
  const kernels::LinearKernels& lk = *kernels_->linear(w.type); // checked when the model was loaded
  const int64_t n_tokens = in.n_tokens();
  if (n_tokens == 1) {
    const void* xq = in.get(lk.activation, *kernels_);
    // Decode reads the repacked copy where the model has one (kernels.matvec_layout).
    const kernels::MatvecFn matvec = w.repacked ? lk.repacked.matvec : lk.matvec;
    const void* data = w.repacked ? static_cast<const void*>(w.repacked) : w.data;
    parallel_ranges(n_threads_, w.rows, [&](int64_t row_begin, int64_t row_end, int) {
      matvec(data, xq, out, w.cols, row_begin, row_end);
    });
    return;
  }
  // Prefill reads the plain rows of the mapping, repacked copy or not.
  const void* x = in.get(prefill_.wants_f32() ? kernels::ActivationType::kF32 : lk.activation, *kernels_);
  parallel_ranges(n_threads_, w.rows, [&](int64_t row_begin, int64_t row_end, int thread) {
    prefill_.run(w, lk, x, n_tokens, out, out_stride, row_begin, row_end, thread);
  });
}

void Session::forward(const int32_t* tokens, int64_t n, bool all_logits) {
  const ModelConfig& c = model_->config();
  const ModelWeights& w = model_->weights();
  const kernels::KernelTable& k = *kernels_;
  Activations& s = act_;

  const int64_t dim = c.dim;
  const int64_t q_dim = c.n_heads * c.head_dim;
  const int64_t kv_dim = c.n_kv_heads * c.head_dim;
  const int64_t ffn_dim = c.ffn_dim;
  const int64_t pos = n_past();

  float* x = s.x.data();     // (n, dim)
  float* xb = s.xb.data();   // (n, dim)
  float* xb2 = s.xb2.data(); // (n, dim)
  float* q = s.q.data();     // (n, q_dim)
  float* k_new = s.k.data(); // (n, kv_dim)
  float* v_new = s.v.data(); // (n, kv_dim)
  float* att = s.att.data(); // (n, q_dim)
  float* hb = s.hb.data();   // (n, ffn_dim)
  float* hb2 = s.hb2.data(); // (n, ffn_dim)

  // Token embeddings.
  for (int64_t t = 0; t < n; ++t) {
    k.dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), x + t * dim, dim);
  }

  kernels::AttentionShape shape;
  shape.n_tokens = n;
  shape.pos0 = pos;
  shape.n_heads = c.n_heads;
  shape.n_kv_heads = c.n_kv_heads;
  shape.head_dim = c.head_dim;
  shape.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  shape.window = window_;
  shape.n_slots = window_ > 0 ? kv_.n_rows() : 0;
  const kernels::AttentionFn attention = k.attention_for(kv_.type());
  const kernels::KvStoreRowFn store = k.kv_store(kv_.type());
  const int64_t row_bytes = kv_.row_bytes();
  const int64_t scores_stride = static_cast<int64_t>(s.scores.size()) / n_threads_;

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = w.layers[static_cast<size_t>(l)];
    uint8_t* k_cache = kv_.keys(l);   // (n_rows, row_bytes)
    uint8_t* v_cache = kv_.values(l); // (n_rows, row_bytes)

    // Attention.
    for (int64_t t = 0; t < n; ++t) k.rmsnorm(x + t * dim, L.attn_norm.f32(), xb + t * dim, dim, c.rms_eps);
    s.input.set(xb, n, dim);
    linear(L.wq, s.input, q, q_dim);
    linear(L.wk, s.input, k_new, kv_dim);
    linear(L.wv, s.input, v_new, kv_dim);
    for (int64_t t = 0; t < n; ++t) {
      if (L.bq.present()) k.add(q + t * q_dim, L.bq.f32(), q_dim);
      if (L.bk.present()) k.add(k_new + t * kv_dim, L.bk.f32(), kv_dim);
      if (L.bv.present()) k.add(v_new + t * kv_dim, L.bv.f32(), kv_dim);
      k.rope(q + t * q_dim, c.n_heads, pos + t, rope_);
      k.rope(k_new + t * kv_dim, c.n_kv_heads, pos + t, rope_);
      // position pos + t's row: written once, read by every later query that sees it
      const int64_t row = shape.n_slots > 0 ? (pos + t) % shape.n_slots : pos + t;
      store(k_new + t * kv_dim, k_cache + row * row_bytes, kv_dim);
      store(v_new + t * kv_dim, v_cache + row * row_bytes, kv_dim);
    }
    parallel_ranges(n_threads_, c.n_heads, [&](int64_t head_begin, int64_t head_end, int thread) {
      attention(shape, q, k_cache, v_cache, att, s.scores.data() + thread * scores_stride, head_begin, head_end);
    });
    s.input.set(att, n, q_dim);
    linear(L.wo, s.input, xb2, dim);
    k.add(x, xb2, n * dim);

    // Feed-forward (SwiGLU).
    for (int64_t t = 0; t < n; ++t) k.rmsnorm(x + t * dim, L.ffn_norm.f32(), xb + t * dim, dim, c.rms_eps);
    s.input.set(xb, n, dim);
    linear(L.w_gate, s.input, hb, ffn_dim);
    linear(L.w_up, s.input, hb2, ffn_dim);
    k.silu_mul(hb, hb2, hb, n * ffn_dim);
    s.input.set(hb, n, ffn_dim);
    linear(L.w_down, s.input, xb2, dim);
    k.add(x, xb2, n * dim);

    if (layer_observer_) layer_observer_(l, pos, n, x);
  }

  // Logits, for every token or only the last.
  const int64_t first = all_logits ? 0 : n - 1;
  const int64_t n_out = n - first;
  for (int64_t t = 0; t < n_out; ++t) {
    k.rmsnorm(x + (first + t) * dim, w.output_norm.f32(), xb + t * dim, dim, c.rms_eps);
  }
  s.input.set(xb, n_out, dim);
  linear(w.output, s.input, s.logits.data(), c.vocab_size);

  history_.insert(history_.end(), tokens, tokens + n);
}

} // namespace lathe
