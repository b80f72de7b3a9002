#include "engine/runtime/activations.h"

#include <algorithm>

namespace lathe {
namespace {

std::vector<float> buffer(int64_t rows, int64_t cols) { return std::vector<float>(static_cast<size_t>(rows * cols)); }

} // namespace

Activations::Activations(const ModelConfig& c, int64_t chunk, int64_t logit_rows, int64_t scores_floats, int n_threads)
    : x(buffer(chunk, c.dim)),
      xb(buffer(chunk, c.dim)),
      xb2(buffer(chunk, c.dim)),
      q(buffer(chunk, c.n_heads * c.head_dim)),
      k(buffer(chunk, c.n_kv_heads * c.head_dim)),
      v(buffer(chunk, c.n_kv_heads * c.head_dim)),
      att(buffer(chunk, c.n_heads * c.head_dim)),
      hb(buffer(chunk, c.ffn_dim)),
      hb2(buffer(chunk, c.ffn_dim)),
      scores(buffer(n_threads, scores_floats)),
      logits(buffer(logit_rows, c.vocab_size)),
      input(chunk, std::max({c.dim, c.n_heads * c.head_dim, c.ffn_dim})) {}

} // namespace lathe
