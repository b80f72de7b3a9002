// Choosing the next token from the logits.
//
// The chain, in llama.cpp's order: repetition penalty over the last
// `repeat_last_n` tokens seen -> top-k -> top-p -> min-p -> temperature ->
// a draw from the remaining distribution. Temperature 0 is greedy: the
// (penalised) argmax, lowest id on ties, with no randomness at all.
//
// The random numbers come from a 64-bit Mersenne Twister seeded with `seed`
// and turned into doubles by bit arithmetic (not std::uniform_real_distribution,
// whose output the standard leaves to the library), so a seed reproduces a run
// exactly on every platform.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace lathe {

struct SamplerParams {
  float temperature = 0.8f;    // >= 0; 0 = greedy
  int32_t top_k = 40;          // >= 0; 0 = off
  float top_p = 0.95f;         // in (0, 1]; 1 = off
  float min_p = 0.05f;         // in [0, 1]; 0 = off
  float repeat_penalty = 1.0f; // > 0; 1 = off
  int32_t repeat_last_n = 64;  // >= 0: the window of recent tokens penalised; 0 = off
  uint64_t seed = 0;

  // Throws std::invalid_argument naming the parameter and its valid range.
  void validate() const;
};

class Sampler {
 public:
  // Throws std::invalid_argument for invalid params or a non-positive vocabulary.
  Sampler(int64_t vocab_size, const SamplerParams& params);

  // The next token for `logits` (vocab_size floats). Does not record it:
  // call accept() with the token that is actually appended.
  int32_t sample(std::span<const float> logits);

  // Records a token of the context (prompt or generated) for the penalty window.
  void accept(int32_t token);

  // Forgets the penalty window and reseeds the generator.
  void reset();

  const SamplerParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };

  void apply_repeat_penalty();
  // An index in [0, n) drawn with the probabilities probs_[0 .. n).
  size_t draw(size_t n);

  SamplerParams params_;
  int64_t vocab_size_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_; // (vocab) scratch, reused every call
  std::vector<double> probs_;         // (vocab) scratch
  std::vector<int32_t> recent_;       // ring buffer of the last repeat_last_n tokens
  std::vector<uint8_t> penalised_;    // (vocab) scratch flags, all 0 between calls
  size_t recent_next_ = 0;
  size_t recent_count_ = 0;
};

} // namespace lathe
