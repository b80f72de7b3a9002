// Generation: read the prompt, then sample and evaluate one token at a time
// until a stop rule fires. The rules, checked after every token:
//   - end of generation: the token is EOS / EOT (unless ignore_eos); it is not
//     part of the text;
//   - a stop string appears in the text: the text ends just before it;
//   - the token budget (max_new_tokens) is spent;
//   - the context is full.
// Text is streamed through a callback as it becomes final: never half a UTF-8
// character, and never text that might still turn out to be a stop string.
//
// The loop knows the model and the tokenizer only through two small
// interfaces, so that its rules can be tested with scripted logits.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sampler/sampler.h"

namespace lathe {

// What generation needs from a model session.
class TokenEvaluator {
 public:
  virtual ~TokenEvaluator() = default;
  virtual int64_t n_ctx() const = 0;
  virtual int64_t n_past() const = 0;
  // Appends tokens to the context; returns the logits of the last (vocab).
  virtual std::span<const float> eval(std::span<const int32_t> tokens) = 0;
};

// What generation needs from a tokenizer.
class TokenText {
 public:
  virtual ~TokenText() = default;
  virtual bool is_end_of_generation(int32_t id) const = 0;
  // The text this token completes (may be empty while a character is unfinished).
  virtual std::string push(int32_t id) = 0;
  // Whatever is still held back; resets the stream.
  virtual std::string flush() = 0;
};

struct GenerateOptions {
  int64_t max_new_tokens = -1;    // the token budget; -1 = no limit but the context
  std::vector<std::string> stop;  // stop strings; empty strings are ignored
  bool ignore_eos = false;        // keep going through end-of-generation tokens
  bool truncate_prompt = false;   // drop the oldest prompt tokens instead of failing when they do not fit
};

enum class StopReason {
  kEndOfGeneration, // EOS / EOT token
  kStopString,      // one of the stop strings
  kTokenBudget,     // max_new_tokens reached
  kContextFull,     // no room for another token
  kCallback,        // the streaming callback asked to stop
};

std::string_view stop_reason_name(StopReason reason);

struct GenerationTimings {
  int64_t n_prompt = 0;      // prompt tokens evaluated
  int64_t n_prompt_reused = -1; // prompt tokens the prompt cache already held (not evaluated); -1: no prompt cache
  double prefill_s = 0.0;    // evaluating the prompt
  double first_token_s = 0.0; // from the start to the first generated token (prefill + sampling)
  int64_t n_decoded = 0;     // tokens evaluated one at a time after the prompt
  double decode_s = 0.0;     // evaluating them and sampling their successors

  double prefill_tokens_per_s() const { return prefill_s > 0 ? static_cast<double>(n_prompt) / prefill_s : 0.0; }
  double decode_tokens_per_s() const { return decode_s > 0 ? static_cast<double>(n_decoded) / decode_s : 0.0; }
  double decode_ms_per_token() const { return n_decoded > 0 ? 1e3 * decode_s / static_cast<double>(n_decoded) : 0.0; }
};

struct GenerateResult {
  std::vector<int32_t> tokens; // generated, including an end-of-generation token that stopped it
  std::string text;            // their text, cut before a stop string; EOS / EOT not rendered
  StopReason stop = StopReason::kEndOfGeneration;
  int64_t n_prompt_dropped = 0; // prompt tokens removed by truncation
  GenerationTimings timings;
};

// Receives each piece of final text; returns false to stop generating.
using TextCallback = std::function<bool(std::string_view piece)>;

// Appends `prompt` to the evaluator's context and generates. The sampler is
// fed the prompt and every generated token (for its penalty window).
//
// Throws std::invalid_argument for an empty prompt, and std::length_error when
// the prompt does not fit in the context with room for one more token, unless
// truncate_prompt: then the oldest prompt tokens are dropped so that the rest
// plus the budget (at most half the free context when the budget is larger or
// unlimited) fit.
GenerateResult generate(TokenEvaluator& model, TokenText& text, Sampler& sampler, std::span<const int32_t> prompt,
                        const GenerateOptions& options, const TextCallback& on_text = {});

} // namespace lathe
