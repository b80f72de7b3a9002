// The scratch buffers of the forward pass, sized once for `chunk` tokens at a
// time when the session starts; the forward pass only writes into them.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/model_config.h"
#include "engine/runtime/linear_input.h"

namespace lathe {

struct Activations {
  // logit_rows: the most tokens whose logits one pass keeps (<= chunk);
  // scores_floats: the attention kernels' scratch per thread for the largest
  // call (KernelTable::attention_scratch_floats).
  Activations(const ModelConfig& c, int64_t chunk, int64_t logit_rows, int64_t scores_floats, int n_threads);

  std::vector<float> x;      // (chunk, dim) residual stream
  std::vector<float> xb;     // (chunk, dim) normed residual: input of Q/K/V, gate/up, output
  std::vector<float> xb2;    // (chunk, dim) output of attn_output and ffn_down
  std::vector<float> q;      // (chunk, n_heads * head_dim) queries
  std::vector<float> k;      // (chunk, n_kv_heads * head_dim) new keys, before they are stored in the cache
  std::vector<float> v;      // (chunk, n_kv_heads * head_dim) new values
  std::vector<float> att;    // (chunk, n_heads * head_dim) attention output
  std::vector<float> hb;     // (chunk, ffn_dim) gate, then silu(gate) * up
  std::vector<float> hb2;    // (chunk, ffn_dim) up
  std::vector<float> scores; // (n_threads, scores_floats) attention scratch, per thread
  std::vector<float> logits; // (logit_rows, vocab)
  LinearInput input;         // the current linear-layer input, quantized per weight format
};

} // namespace lathe
