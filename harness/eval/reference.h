// The recorded reference: the top-k next-token log-probabilities at every
// position of the reference text and of each prompt (and of its greedy
// continuation), written once by `lathe-eval --record-reference` from a build
// with the scalar kernels (LATHE_ISA=scalar) and the f32 KV cache.
//
// File layout (little-endian):
//   "LATHEREF"             8 bytes
//   u32 version (1)        4 bytes
//   u32 header bytes (H)   4 bytes
//   header                 H bytes of JSON: workload digest, model digest, k,
//                          recording details, and per segment its name,
//                          kind, token ids and position counts
//   per segment, in header order:
//     ids       (positions, k) int32
//     logprobs  (positions, k) float32
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace lathe::harness {

class ReferenceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One teacher-forced sequence. Position t holds the distribution of the token
// after tokens[t] (the prompt, or one window of the reference text), then,
// for a prompt, position prefill_positions + i the distribution after
// continuation[i] (i < continuation.size() - 1), evaluated one token at a time
// as decoding does.
struct RefSegment {
  std::string name;                  // "text/0", "prompt/explain"
  std::string kind;                  // "text" or "prompt"
  std::vector<int32_t> tokens;       // the teacher-forced input: (prefill_positions)
  std::vector<int32_t> continuation; // prompts: the greedy reply, max_new_tokens ids; text: empty
  std::string reply;                 // prompts: the reply's text up to the first end-of-turn token
  int64_t prefill_positions = 0;
  int64_t decode_positions = 0;
  std::vector<int32_t> ids;          // (positions, k), most likely first
  std::vector<float> logprobs;       // (positions, k)

  int64_t positions() const { return prefill_positions + decode_positions; }
};

struct Reference {
  std::string workload;     // Suite::reference_digest() of the suite it was recorded for
  std::string model_sha256;
  int32_t k = 0;
  double perplexity = 0.0;  // of the reference run on the reference text
  nlohmann::json recorded_with; // isa, config, commit, date: for people, not checked
  std::vector<RefSegment> segments;
};

// Throws ReferenceError naming the file and what is wrong.
Reference read_reference(const std::filesystem::path& file);
void write_reference(const std::filesystem::path& file, const Reference& ref);

} // namespace lathe::harness
