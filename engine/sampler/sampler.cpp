#include "engine/sampler/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace lathe {

void SamplerParams::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (!(temperature >= 0.0f) || std::isinf(temperature)) {
    fail(fmt::format("temperature {} is invalid: it must be a finite number >= 0 (0 = greedy)", temperature));
  }
  if (top_k < 0) fail(fmt::format("top-k {} is invalid: it must be >= 0 (0 = off)", top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    fail(fmt::format("top-p {} is invalid: it must be in (0, 1] (1 = off)", top_p));
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    fail(fmt::format("min-p {} is invalid: it must be in [0, 1] (0 = off)", min_p));
  }
  if (!(repeat_penalty > 0.0f) || std::isinf(repeat_penalty)) {
    fail(fmt::format("repeat penalty {} is invalid: it must be a finite number > 0 (1 = off)", repeat_penalty));
  }
  if (repeat_last_n < 0) {
    fail(fmt::format("repeat-last-n {} is invalid: it must be >= 0 (0 = off)", repeat_last_n));
  }
}

Sampler::Sampler(int64_t vocab_size, const SamplerParams& params)
    : params_(params), vocab_size_(vocab_size), rng_(params.seed) {
  params_.validate();
  if (vocab_size <= 0) throw std::invalid_argument(fmt::format("vocabulary size {} must be positive", vocab_size));
  candidates_.resize(static_cast<size_t>(vocab_size));
  probs_.resize(static_cast<size_t>(vocab_size));
  penalised_.assign(static_cast<size_t>(vocab_size), 0);
  recent_.resize(static_cast<size_t>(params.repeat_last_n));
}

void Sampler::reset() {
  rng_.seed(params_.seed);
  recent_next_ = 0;
  recent_count_ = 0;
}

void Sampler::accept(int32_t token) {
  if (recent_.empty()) return;
  recent_[recent_next_] = token;
  recent_next_ = (recent_next_ + 1) % recent_.size();
  recent_count_ = std::min(recent_count_ + 1, recent_.size());
}

// Each distinct recent token once: a positive logit is divided by the
// penalty, a negative one multiplied (so both move away from being chosen).
void Sampler::apply_repeat_penalty() {
  if (params_.repeat_penalty == 1.0f || recent_count_ == 0) return;
  const float penalty = params_.repeat_penalty;
  for (size_t i = 0; i < recent_count_; ++i) {
    const int32_t id = recent_[i];
    if (id < 0 || id >= vocab_size_ || penalised_[static_cast<size_t>(id)]) continue;
    penalised_[static_cast<size_t>(id)] = 1;
    float& logit = candidates_[static_cast<size_t>(id)].logit;
    logit = logit > 0.0f ? logit / penalty : logit * penalty;
  }
  for (size_t i = 0; i < recent_count_; ++i) {
    const int32_t id = recent_[i];
    if (id >= 0 && id < vocab_size_) penalised_[static_cast<size_t>(id)] = 0;
  }
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (static_cast<int64_t>(logits.size()) != vocab_size_) {
    throw std::invalid_argument(
        fmt::format("sampler got {} logits for a vocabulary of {}", logits.size(), vocab_size_));
  }
  // A NaN logit (from NaN weights) becomes -inf: the least likely token, and
  // one the sort below can order (NaN would break its strict weak ordering).
  for (size_t i = 0; i < logits.size(); ++i) {
    candidates_[i] = {static_cast<int32_t>(i),
                      std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i]};
  }
  apply_repeat_penalty();

  if (params_.temperature == 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < candidates_.size(); ++i) {
      if (candidates_[i].logit > candidates_[best].logit) best = i;
    }
    return candidates_[best].id;
  }

  // Highest logit first; equal logits by id, so that the order is a function
  // of the logits alone.
  const auto higher = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t n = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
    n = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n), candidates_.end(),
                      higher);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), higher);
  }

  // Probabilities of the survivors (before temperature, as llama.cpp filters).
  const auto softmax = [&](size_t count, float temperature) {
    const double max = candidates_[0].logit;
    double sum = 0.0;
    for (size_t i = 0; i < count; ++i) {
      probs_[i] = std::exp((static_cast<double>(candidates_[i].logit) - max) / temperature);
      sum += probs_[i];
    }
    for (size_t i = 0; i < count; ++i) probs_[i] /= sum;
  };
  softmax(n, 1.0f);

  if (params_.top_p < 1.0f) {
    double cumulative = 0.0;
    for (size_t i = 0; i < n; ++i) {
      cumulative += probs_[i];
      if (cumulative >= params_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  if (params_.min_p > 0.0f) {
    const double threshold = probs_[0] * params_.min_p;
    size_t keep = 1;
    while (keep < n && probs_[keep] >= threshold) ++keep;
    n = keep;
  }

  softmax(n, params_.temperature);
  return candidates_[draw(n)].id;
}

size_t Sampler::draw(size_t n) {
  // 53 random bits -> a double uniform in [0, 1).
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  double cumulative = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cumulative += probs_[i];
    if (u < cumulative) return i;
  }
  return n - 1; // u fell in the rounding gap above the last cumulative sum
}

} // namespace lathe
