#include "engine/generate/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace lathe {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Holds back text until it is final: the streamed text must never contain a
// stop string nor any part of one.
class StopFilter {
 public:
  explicit StopFilter(const std::vector<std::string>& stops) {
    for (const std::string& s : stops) {
      if (!s.empty()) stops_.push_back(s);
    }
  }

  // Adds text. Returns true when a stop string is complete; then ready()
  // is the text before it and nothing after it will be released.
  bool add(std::string_view piece) {
    pending_ += piece;
    size_t first = std::string::npos;
    for (const std::string& s : stops_) first = std::min(first, pending_.find(s));
    if (first != std::string::npos) {
      pending_.resize(first);
      release_ = pending_.size();
      return true;
    }
    release_ = pending_.size() - longest_stop_prefix_suffix();
    return false;
  }

  // Text that is final now; clears it from the buffer.
  std::string take_ready() {
    std::string out = pending_.substr(0, release_);
    pending_.erase(0, release_);
    release_ = 0;
    return out;
  }

  // Everything held back (when generation ends without a stop string).
  std::string take_all() {
    std::string out = std::move(pending_);
    pending_.clear();
    release_ = 0;
    return out;
  }

 private:
  // Length of the longest suffix of pending_ that is a proper prefix of a stop string.
  size_t longest_stop_prefix_suffix() const {
    size_t best = 0;
    for (const std::string& s : stops_) {
      const size_t max_len = std::min(s.size() - 1, pending_.size());
      for (size_t len = max_len; len > best; --len) {
        if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) {
          best = len;
          break;
        }
      }
    }
    return best;
  }

  std::vector<std::string> stops_;
  std::string pending_;
  size_t release_ = 0;
};

} // namespace

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfGeneration: return "end of generation";
    case StopReason::kStopString: return "stop string";
    case StopReason::kTokenBudget: return "token budget";
    case StopReason::kContextFull: return "context full";
    case StopReason::kCallback: return "stopped by caller";
  }
  return "?";
}

GenerateResult generate(TokenEvaluator& model, TokenText& text, Sampler& sampler, std::span<const int32_t> prompt,
                        const GenerateOptions& options, const TextCallback& on_text) {
  if (prompt.empty()) throw std::invalid_argument("the prompt is empty: there is nothing to continue");
  GenerateResult r;

  // The prompt must leave room for at least one generated token.
  const int64_t free = model.n_ctx() - model.n_past();
  if (static_cast<int64_t>(prompt.size()) >= free) {
    if (!options.truncate_prompt) {
      throw std::length_error(fmt::format(
          "the prompt is {} tokens, but the context of {} has room for {} more (it must leave one for the reply); "
          "use a larger context or allow truncation",
          prompt.size(), model.n_ctx(), free - 1));
    }
    const int64_t wanted = options.max_new_tokens > 0 ? options.max_new_tokens : free;
    const int64_t reserve = std::max<int64_t>(1, std::min(wanted, free / 2));
    const int64_t keep = free - reserve;
    if (keep < 1) throw std::length_error(fmt::format("the context is full ({} tokens)", model.n_ctx()));
    r.n_prompt_dropped = static_cast<int64_t>(prompt.size()) - keep;
    prompt = prompt.last(static_cast<size_t>(keep));
  }
  for (int32_t t : prompt) sampler.accept(t);

  StopFilter filter(options.stop);
  bool stopped_by_caller = false;
  const auto emit = [&](std::string piece) {
    if (piece.empty()) return;
    r.text += piece;
    if (on_text && !on_text(piece)) stopped_by_caller = true;
  };

  const Clock::time_point start = Clock::now();
  std::span<const float> logits = model.eval(prompt);
  r.timings.n_prompt = static_cast<int64_t>(prompt.size());
  r.timings.prefill_s = seconds_since(start);

  if (options.max_new_tokens == 0) {
    r.stop = StopReason::kTokenBudget;
    return r;
  }

  Clock::time_point first_token_at{};
  bool found_stop = false;
  for (;;) {
    const int32_t token = sampler.sample(logits);
    if (r.tokens.empty()) {
      first_token_at = Clock::now();
      r.timings.first_token_s = std::chrono::duration<double>(first_token_at - start).count();
    } else {
      r.timings.decode_s = seconds_since(first_token_at);
    }
    sampler.accept(token);
    r.tokens.push_back(token);

    if (!options.ignore_eos && text.is_end_of_generation(token)) {
      r.stop = StopReason::kEndOfGeneration;
      break;
    }
    found_stop = filter.add(text.push(token));
    emit(filter.take_ready());
    if (found_stop) {
      r.stop = StopReason::kStopString;
      break;
    }
    if (stopped_by_caller) {
      r.stop = StopReason::kCallback;
      break;
    }
    if (options.max_new_tokens >= 0 && static_cast<int64_t>(r.tokens.size()) >= options.max_new_tokens) {
      r.stop = StopReason::kTokenBudget;
      break;
    }
    if (model.n_past() >= model.n_ctx()) {
      r.stop = StopReason::kContextFull;
      break;
    }
    logits = model.eval({&token, 1});
    ++r.timings.n_decoded;
  }

  // What the text stream and the stop filter still hold.
  if (!found_stop) {
    found_stop = filter.add(text.flush());
    if (found_stop) r.stop = StopReason::kStopString;
    emit(filter.take_all());
  } else {
    text.flush();
  }
  return r;
}

} // namespace lathe
