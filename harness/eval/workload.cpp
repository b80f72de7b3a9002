#include "harness/eval/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "harness/eval/engine_setup.h"

namespace lathe::harness {

int64_t Workload::needed_context() const {
  int64_t n = 0;
  for (const WorkloadSequence& w : text_windows) n = std::max<int64_t>(n, static_cast<int64_t>(w.tokens.size()));
  for (const WorkloadSequence& p : prompts) {
    n = std::max<int64_t>(n, static_cast<int64_t>(p.tokens.size()) + max_new_tokens);
  }
  return n;
}

Workload build_workload(const Model& model, const Tokenizer& tokenizer, const Suite& suite) {
  Workload w;
  w.max_new_tokens = suite.max_new_tokens;

  std::vector<int32_t> text = tokenizer.encode(suite.reference_text(), /*parse_special=*/false, /*add_bos_eos=*/false);
  if (suite.reference_max_tokens > 0 && static_cast<int64_t>(text.size()) > suite.reference_max_tokens) {
    text.resize(static_cast<size_t>(suite.reference_max_tokens));
  }
  w.text_tokens = static_cast<int64_t>(text.size());
  // Each window starts a fresh context, with BOS first when the model wants one.
  const bool bos = tokenizer.add_bos() && tokenizer.bos_id() >= 0;
  const size_t body = static_cast<size_t>(suite.reference_window) - (bos ? 1 : 0);
  for (size_t start = 0, i = 0; start < text.size(); start += body, ++i) {
    WorkloadSequence seq;
    seq.name = fmt::format("text/{}", i);
    seq.kind = "text";
    if (bos) seq.tokens.push_back(tokenizer.bos_id());
    const size_t end = std::min(text.size(), start + body);
    seq.tokens.insert(seq.tokens.end(), text.begin() + static_cast<std::ptrdiff_t>(start),
                      text.begin() + static_cast<std::ptrdiff_t>(end));
    if (seq.tokens.size() < 2) break; // nothing to predict
    w.text_windows.push_back(std::move(seq));
  }
  for (const SuitePrompt& p : suite.prompts) {
    WorkloadSequence seq;
    seq.name = "prompt/" + p.name;
    seq.kind = "prompt";
    seq.tokens = prompt_tokens(model, tokenizer, p);
    seq.prompt = &p;
    w.prompts.push_back(std::move(seq));
  }
  return w;
}

size_t first_end_of_turn(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens) {
  const auto it = std::find_if(tokens.begin(), tokens.end(), [&](int32_t t) { return tokenizer.is_end_of_generation(t); });
  return static_cast<size_t>(it - tokens.begin());
}

std::string reply_text(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens) {
  const size_t n = first_end_of_turn(tokenizer, tokens);
  return tokenizer.decode(std::span<const int32_t>(tokens.data(), n), /*render_special=*/false);
}

} // namespace lathe::harness
