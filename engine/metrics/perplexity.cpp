#include "engine/metrics/perplexity.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace lathe {

void NllAccumulator::add(std::span<const float> logits, int32_t target) {
  float max = logits[0];
  for (float l : logits) max = std::max(max, l);
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  const double nll = static_cast<double>(max) + std::log(sum) - static_cast<double>(logits[static_cast<size_t>(target)]);
  ++count_;
  sum_ += nll;
  sum_sq_ += nll * nll;
}

double NllAccumulator::mean_nll() const { return count_ > 0 ? sum_ / static_cast<double>(count_) : 0.0; }

double NllAccumulator::perplexity() const { return std::exp(mean_nll()); }

double NllAccumulator::perplexity_error() const {
  if (count_ < 2) return 0.0;
  const double mean = mean_nll();
  const double variance = sum_sq_ / static_cast<double>(count_) - mean * mean;
  return variance > 0.0 ? perplexity() * std::sqrt(variance / static_cast<double>(count_ - 1)) : 0.0;
}

PerplexityResult perplexity(Session& session, std::span<const int32_t> tokens, const PerplexityOptions& o,
                            const std::function<void(const PerplexityProgress&)>& on_chunk) {
  using Clock = std::chrono::steady_clock;
  const int64_t n_ctx = o.n_ctx;
  const int64_t n_tokens = static_cast<int64_t>(tokens.size());
  if (n_ctx < 4) throw std::invalid_argument(fmt::format("perplexity context {} is too short", n_ctx));
  if (session.n_ctx() < n_ctx) {
    throw std::invalid_argument(
        fmt::format("the session's context ({}) is shorter than the perplexity window ({})", session.n_ctx(), n_ctx));
  }
  if (n_tokens < 2 * n_ctx) {
    throw std::invalid_argument(fmt::format(
        "the text has {} tokens; perplexity with a context of {} needs at least {}", n_tokens, n_ctx, 2 * n_ctx));
  }
  const int64_t available = n_tokens / n_ctx;
  const int64_t n_chunks = o.max_chunks < 0 ? available : std::min(o.max_chunks, available);
  const int64_t first = n_ctx / 2; // positions first .. n_ctx - 2 are scored
  const int64_t vocab = session.vocab_size();

  PerplexityResult r;
  r.n_tokens = n_tokens;
  r.n_chunks = n_chunks;
  NllAccumulator nll;
  std::vector<int32_t> window(static_cast<size_t>(n_ctx));
  const Clock::time_point start = Clock::now();
  for (int64_t c = 0; c < n_chunks; ++c) {
    const Clock::time_point chunk_start = Clock::now();
    std::copy_n(tokens.begin() + c * n_ctx, n_ctx, window.begin());
    if (o.bos >= 0) window[0] = o.bos;
    session.reset();
    for (int64_t begin = 0; begin < n_ctx; begin += session.logit_rows()) {
      const int64_t n = std::min(session.logit_rows(), n_ctx - begin);
      const std::span<const float> logits = session.eval_all({window.data() + begin, static_cast<size_t>(n)});
      for (int64_t t = 0; t < n; ++t) {
        const int64_t pos = begin + t;
        if (pos < first || pos > n_ctx - 2) continue;
        // The original token, not the BOS substitute, is the target (pos + 1 >= 1).
        nll.add(logits.subspan(static_cast<size_t>(t * vocab), static_cast<size_t>(vocab)),
                tokens[static_cast<size_t>(c * n_ctx + pos + 1)]);
      }
    }
    if (on_chunk) {
      on_chunk({c + 1, n_chunks, nll.perplexity(),
                std::chrono::duration<double>(Clock::now() - chunk_start).count()});
    }
  }
  r.n_scored = nll.count();
  r.perplexity = nll.perplexity();
  r.perplexity_error = nll.perplexity_error();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

} // namespace lathe
