#include "harness/eval/quality.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <span>

namespace lathe::harness {
namespace {

using Clock = std::chrono::steady_clock;

// Calls on_position(t, logits) for each position of `tokens`, through the
// prefill path, logit_rows() (a chunk, see quality_session) tokens per pass.
void prefill_positions(Session& session, const std::vector<int32_t>& tokens,
                       const std::function<void(int64_t, std::span<const float>)>& on_position) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t vocab = session.vocab_size();
  for (int64_t start = 0; start < n; start += session.logit_rows()) {
    const int64_t count = std::min(session.logit_rows(), n - start);
    const std::span<const float> rows =
        session.eval_all(std::span<const int32_t>(tokens.data() + start, static_cast<size_t>(count)));
    for (int64_t t = 0; t < count; ++t) {
      on_position(start + t, rows.subspan(static_cast<size_t>(t * vocab), static_cast<size_t>(vocab)));
    }
  }
}

// The setup's session, keeping logits for every token of a chunk: each
// position is scored, and the chunk stays the configured one.
SessionOptions quality_session(const EngineSetup& setup) {
  SessionOptions o = setup.session;
  o.logit_rows = 0;
  return o;
}

// Compares one position with the reference's top-k there.
void compare_position(const Reference& ref, const RefSegment& seg, int64_t pos, std::span<const float> logits,
                      DivergenceStats& stats, std::vector<double>& cand) {
  const size_t k = static_cast<size_t>(ref.k);
  const int32_t* ids = seg.ids.data() + static_cast<size_t>(pos) * k;
  const float* lps = seg.logprobs.data() + static_cast<size_t>(pos) * k;
  const double lse = log_sum_exp(logits);
  cand.resize(k);
  for (size_t i = 0; i < k; ++i) cand[i] = static_cast<double>(logits[static_cast<size_t>(ids[i])]) - lse;
  stats.add(bucketed_kl(std::span<const float>(lps, k), cand), argmax(logits) == ids[0]);
}

} // namespace

QualityResult evaluate_quality(const Model& model, const EngineSetup& setup, const Workload& workload,
                               const Reference& ref) {
  QualityResult q;
  const Clock::time_point start = Clock::now();

  std::vector<const WorkloadSequence*> sequences;
  for (const auto& w : workload.text_windows) sequences.push_back(&w);
  for (const auto& p : workload.prompts) sequences.push_back(&p);
  if (sequences.size() != ref.segments.size()) {
    q.mismatches.push_back(fmt::format("the workload has {} sequences, the reference {}", sequences.size(),
                                       ref.segments.size()));
  }
  std::vector<double> cand;
  for (size_t i = 0; i < sequences.size() && i < ref.segments.size(); ++i) {
    const WorkloadSequence& w = *sequences[i];
    const RefSegment& seg = ref.segments[i];
    if (w.name != seg.name || w.tokens != seg.tokens) {
      q.mismatches.push_back(fmt::format("{}: {} tokens now, the reference has {} as {} tokens{}", w.name,
                                         w.tokens.size(), seg.name, seg.tokens.size(),
                                         w.tokens.size() == seg.tokens.size() ? " (different ids)" : ""));
      continue;
    }
    SegmentQuality sq;
    sq.name = seg.name;
    Session session(model, quality_session(setup));
    prefill_positions(session, seg.tokens, [&](int64_t t, std::span<const float> logits) {
      compare_position(ref, seg, t, logits, sq.prefill, cand);
      if (seg.kind == "text" && t + 1 < static_cast<int64_t>(seg.tokens.size())) {
        const int32_t next = seg.tokens[static_cast<size_t>(t + 1)];
        sq.prefill.add_nll(log_sum_exp(logits) - static_cast<double>(logits[static_cast<size_t>(next)]));
      }
    });
    for (int64_t d = 0; d < seg.decode_positions; ++d) {
      const int32_t token = seg.continuation[static_cast<size_t>(d)];
      const std::span<const float> logits = session.eval(std::span<const int32_t>(&token, 1));
      compare_position(ref, seg, seg.prefill_positions + d, logits, sq.decode, cand);
    }
    if (seg.kind == "text") q.text.merge(sq.prefill);
    q.prefill.merge(sq.prefill);
    q.decode.merge(sq.decode);
    q.segments.push_back(std::move(sq));
  }
  q.all = q.prefill;
  q.all.merge(q.decode);
  q.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return q;
}

Reference record_reference(const Model& model, const Tokenizer& tokenizer, const EngineSetup& setup,
                           const Workload& workload, int32_t k, void (*progress)(const std::string&)) {
  Reference ref;
  ref.k = k;
  const size_t kk = static_cast<size_t>(k);
  double nll_sum = 0.0;
  int64_t nll_count = 0;
  const auto record = [&](RefSegment& seg, std::span<const float> logits) {
    const double lse = log_sum_exp(logits);
    const size_t at = seg.ids.size();
    seg.ids.resize(at + kk);
    seg.logprobs.resize(at + kk);
    top_k_logprobs(logits, lse, k, seg.ids.data() + at, seg.logprobs.data() + at);
    return lse;
  };

  const auto run = [&](const WorkloadSequence& w) {
    RefSegment seg;
    seg.name = w.name;
    seg.kind = w.kind;
    seg.tokens = w.tokens;
    seg.prefill_positions = static_cast<int64_t>(w.tokens.size());
    Session session(model, quality_session(setup));
    int32_t next = -1;
    prefill_positions(session, w.tokens, [&](int64_t t, std::span<const float> logits) {
      const double lse = record(seg, logits);
      if (w.kind == "text" && t + 1 < static_cast<int64_t>(w.tokens.size())) {
        nll_sum += lse - static_cast<double>(logits[static_cast<size_t>(w.tokens[static_cast<size_t>(t + 1)])]);
        ++nll_count;
      }
      next = argmax(logits);
    });
    if (w.kind == "prompt") {
      // Greedy, as generate() does with temperature 0 and ignore_eos.
      seg.continuation.push_back(next);
      while (static_cast<int64_t>(seg.continuation.size()) < workload.max_new_tokens) {
        const std::span<const float> logits = session.eval(std::span<const int32_t>(&next, 1));
        record(seg, logits);
        next = argmax(logits);
        seg.continuation.push_back(next);
      }
      seg.decode_positions = static_cast<int64_t>(seg.continuation.size()) - 1;
      seg.reply = reply_text(tokenizer, seg.continuation);
    }
    if (progress) progress(seg.name);
    ref.segments.push_back(std::move(seg));
  };
  for (const auto& w : workload.text_windows) run(w);
  for (const auto& p : workload.prompts) run(p);
  ref.perplexity = nll_count ? std::exp(nll_sum / static_cast<double>(nll_count)) : 0.0;
  return ref;
}

} // namespace lathe::harness
