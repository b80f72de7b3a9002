// The fixed workload as token ids: the reference text cut into windows and
// the prompts rendered with the model file's chat template. Built the same
// way when the reference is recorded and at every evaluation; the evaluation
// then insists the ids are the recorded ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/eval/suite.h"

namespace lathe::harness {

struct WorkloadSequence {
  std::string name;             // "text/0", "prompt/explain"
  std::string kind;             // "text" or "prompt"
  std::vector<int32_t> tokens;
  const SuitePrompt* prompt = nullptr; // kind == "prompt"
};

struct Workload {
  std::vector<WorkloadSequence> text_windows;
  std::vector<WorkloadSequence> prompts;
  int64_t max_new_tokens = 0;
  int64_t text_tokens = 0;

  // The context a session needs: the longest prompt plus the budget, or a window.
  int64_t needed_context() const;
};

Workload build_workload(const Model& model, const Tokenizer& tokenizer, const Suite& suite);

// The positions of the first end-of-generation token in `tokens`, or its size.
size_t first_end_of_turn(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens);

// The reply as the checks read it: the text of the tokens before the first
// end-of-turn token, special tokens not rendered.
std::string reply_text(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens);

} // namespace lathe::harness
