// The memory-bandwidth roofline of decoding, measured in the same process
// just before the measured runs, and the weight bytes one decoded token reads.
//
// Decoding one token reads every weight matrix once (the forward pass is a
// chain of matrix-vector products), so
//   achieved GB/s = weight bytes per token x generation tokens per second,
// and its share of the read ceiling says how close the kernels are to the
// memory limit. A share above 1 is physically impossible for weights that are
// really read from memory: the measurement, or the work done, is suspect.
#pragma once

#include <cstdint>

#include "engine/model/model_weights.h"

namespace lathe::harness {

struct BandwidthCeiling {
  double gb_per_s = 0.0; // best pass, 1e9 bytes per second
  int threads = 1;
  int64_t bytes = 0;
  int passes = 0;
};

// Reads a `bytes` buffer (well beyond the last-level cache) split across
// `threads` threads, `passes` times, and keeps the fastest pass. The buffer
// is unmapped before returning.
BandwidthCeiling measure_read_bandwidth(int threads, int64_t bytes, int passes);

// Bytes of weights read per decoded token: every layer's tensors, the output
// norm and the output matrix, plus one row of the token embedding (the
// embedding itself is looked up, not multiplied; when the output is tied to
// it, the whole matrix is counted once, as the output).
int64_t weight_bytes_per_token(const ModelWeights& weights);

} // namespace lathe::harness
