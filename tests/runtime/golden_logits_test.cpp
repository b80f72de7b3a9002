// The decoder against llama.cpp on the same model files (goldens written by
// tests/golden/make_logits.py with llama-cpp-python, f32 KV cache):
//
//   1. the residual stream after the first layer, for the first 32 tokens of
//      the "long" prompt, tightly: median relative error per position <= 1e-5;
//   2. at every position of each prompt (prefill path) and of its greedy
//      continuation (decode path, one token at a time), the log-probabilities
//      of llama.cpp's 20 most probable tokens, each within kMaxDeviation,
//      their mean deviation within kMeanDeviation, and the same top-1 token;
//   3. the greedy continuation itself, token for token.
//
// Why these tolerances, and why not 1e-2 (docs/decoder.md has the
// measurements): both runtimes quantize each layer's input to 8-bit blocks.
// They agree to ~3e-7 relative (median, first layer) until a value lands
// within an ulp of a rounding boundary and the two sides round it to
// neighbouring codes; the flip changes that layer's output by ~1e-3 relative,
// and the following layers and positions carry it on. With this 4-bit model
// that moves log-probabilities by ~0.28 on average (p99 ~0.7, max ~1.2),
// as much as Lathe's AVX-512 and scalar kernels (the same quantization, float
// sums in another order) disagree with each other. The first-layer check sees
// the arithmetic before this noise builds up; the per-position bound catches
// gross errors; the mean bound catches systematic ones (the deviations of
// deliberately injected bugs are in docs/decoder.md).
//
// A greedy divergence, or a different top-1 token, is not a failure when
// llama.cpp's own top two were closer than kNearTie there (below the p99 of
// the measured noise): the test then reports the near tie with its gap, and
// stops comparing that prompt's continuation at a greedy divergence.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "kernels/kernel_table.h"
#include "test_models.h"

namespace lathe {
namespace {

constexpr int64_t kChunk = 32;
constexpr double kLayerMedianTolerance = 1e-5;
constexpr double kLayerMaxTolerance = 1e-2;

struct GoldenPrompt {
  std::string name;
  std::vector<int32_t> tokens;
  std::vector<int32_t> continuation;
  std::vector<std::vector<int32_t>> top_ids;     // (positions, 20)
  std::vector<std::vector<double>> top_logprobs; // (positions, 20)
};

struct Golden {
  std::vector<GoldenPrompt> prompts;
  std::string layer_prompt;
  std::vector<std::vector<float>> layer0; // (n_tokens, dim): residual stream after layer 0
};

Golden load_golden(const std::string& file) {
  const std::string path = std::string(LATHE_TEST_DATA_DIR) + "/golden/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const nlohmann::json j = nlohmann::json::parse(in);
  Golden g;
  for (const auto& p : j.at("prompts")) {
    GoldenPrompt gp;
    gp.name = p.at("name").get<std::string>();
    gp.tokens = p.at("tokens").get<std::vector<int32_t>>();
    gp.continuation = p.at("continuation").get<std::vector<int32_t>>();
    gp.top_ids = p.at("top_ids").get<std::vector<std::vector<int32_t>>>();
    gp.top_logprobs = p.at("top_logprobs").get<std::vector<std::vector<double>>>();
    g.prompts.push_back(std::move(gp));
  }
  g.layer_prompt = j.at("layer0").at("prompt").get<std::string>();
  g.layer0 = j.at("layer0").at("l_out").get<std::vector<std::vector<float>>>();
  return g;
}

const GoldenPrompt& find_prompt(const Golden& g, const std::string& name) {
  for (const GoldenPrompt& p : g.prompts) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no golden prompt named " + name);
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

struct ModelCase {
  const char* model;
  const char* golden;
  const char* label;
  double max_deviation;  // per position, every top-20 log-probability
  double mean_deviation; // mean over positions of the largest of the 20
  double near_tie;       // llama.cpp's top two closer than this: either token is right
  std::vector<std::string> prompts; // the golden prompts checked (in CI)
  size_t n_continuation;            // greedy tokens checked per prompt
  bool scalar;                      // the scalar reference table instead of the build's
};

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.label; }

struct Stats {
  double max_deviation = 0.0;
  std::string max_where;
  double sum_deviation = 0.0;
  std::vector<double> deviations; // per position, the largest of the 20
  int64_t positions = 0;
  int64_t failures = 0;
  std::vector<std::string> near_ties;
};

class Checker {
 public:
  Checker(const ModelCase& c, Stats& stats) : c_(c), stats_(stats) {}

  // Our logits at `pos` of prompt + continuation against the golden row.
  void compare(const GoldenPrompt& g, int64_t pos, std::span<const float> logits) {
    const auto& ids = g.top_ids[static_cast<size_t>(pos)];
    const auto& lps = g.top_logprobs[static_cast<size_t>(pos)];
    double max = logits[0];
    for (float l : logits) max = std::max(max, static_cast<double>(l));
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    const double log_sum = std::log(sum);
    double worst = 0.0;
    for (size_t j = 0; j < ids.size(); ++j) {
      const double ours = static_cast<double>(logits[static_cast<size_t>(ids[j])]) - max - log_sum;
      worst = std::max(worst, std::fabs(ours - lps[j]));
    }
    ++stats_.positions;
    stats_.sum_deviation += worst;
    stats_.deviations.push_back(worst);
    if (worst > stats_.max_deviation) {
      stats_.max_deviation = worst;
      stats_.max_where = g.name + " position " + std::to_string(pos);
    }
    if (worst > c_.max_deviation && stats_.failures++ < 10) {
      ADD_FAILURE() << g.name << " position " << pos << ": a top-20 log-probability differs from llama.cpp's by "
                    << worst << " > " << c_.max_deviation;
    }
    const int32_t top = argmax(logits);
    if (top != ids[0]) {
      if (near_tie(g, pos)) {
        stats_.near_ties.push_back(g.name + " position " + std::to_string(pos) + " (top-1), gap " + gap(g, pos));
      } else if (stats_.failures++ < 10) {
        ADD_FAILURE() << g.name << " position " << pos << ": top-1 token " << top << ", llama.cpp " << ids[0]
                      << " (its top two are " << lps[0] - lps[1] << " apart)";
      }
    }
  }

  // llama.cpp's own top two were closer than the noise: either is right.
  bool near_tie(const GoldenPrompt& g, int64_t pos) const {
    const auto& lps = g.top_logprobs[static_cast<size_t>(pos)];
    return lps[0] - lps[1] < c_.near_tie;
  }

  static std::string gap(const GoldenPrompt& g, int64_t pos) {
    const auto& lps = g.top_logprobs[static_cast<size_t>(pos)];
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", lps[0] - lps[1]);
    return text;
  }

 private:
  const ModelCase& c_;
  Stats& stats_;
};

class GoldenLogits : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    if (GetParam().scalar && kernels::active_kernels().isa == kernels::scalar_kernels().isa) {
      GTEST_SKIP() << "this build's kernels are the scalar ones: the default case covers them";
    }
#ifndef NDEBUG
    // Unoptimized, the scalar kernels take minutes here (the sanitizer build);
    // the Release and scalar builds run this case.
    if (GetParam().scalar) GTEST_SKIP() << "the scalar-kernel case runs in optimized builds only";
#endif
  }
};

// Every golden prompt with its whole continuation when LATHE_GOLDEN_ALL is set
// (slow with the scalar kernels); otherwise the case's CI selection.
bool check_everything() {
  const char* all = std::getenv("LATHE_GOLDEN_ALL");
  return all && *all && std::string(all) != "0";
}

TEST_P(GoldenLogits, FirstLayerMatchesLlamaCpp) {
  const ModelCase& c = GetParam();
  const auto path = testing::require_model(c.model);
  if (!path) return;
  const Golden golden = load_golden(c.golden);
  const Model model = Model::load(*path, c.scalar ? kernels::scalar_kernels() : kernels::active_kernels());
  Session session(model, {.n_ctx = 64, .chunk = kChunk});
  const int64_t dim = model.config().dim;
  const int64_t n = static_cast<int64_t>(golden.layer0.size());
  std::vector<float> ours(static_cast<size_t>(n * dim));
  session.set_layer_observer([&](int64_t layer, int64_t pos0, int64_t n_tokens, const float* x) {
    if (layer == 0) std::copy_n(x, n_tokens * dim, ours.begin() + pos0 * dim);
  });
  const GoldenPrompt& p = find_prompt(golden, golden.layer_prompt);
  session.eval({p.tokens.data(), static_cast<size_t>(n)});

  std::vector<double> errors;
  for (int64_t t = 0; t < n; ++t) {
    const std::vector<float>& ref = golden.layer0[static_cast<size_t>(t)];
    ASSERT_EQ(static_cast<int64_t>(ref.size()), dim);
    double diff = 0.0, scale = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      diff = std::max(diff, static_cast<double>(std::fabs(ours[static_cast<size_t>(t * dim + i)] - ref[static_cast<size_t>(i)])));
      scale = std::max(scale, static_cast<double>(std::fabs(ref[static_cast<size_t>(i)])));
    }
    errors.push_back(diff / scale);
  }
  std::vector<double> sorted = errors;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  std::printf("[ golden   ] %s layer 0, %lld positions: relative error median %.1e, max %.1e\n", c.label,
              static_cast<long long>(n), median, sorted.back());
  EXPECT_LE(median, kLayerMedianTolerance) << "the first layer's arithmetic differs from llama.cpp's";
  for (int64_t t = 0; t < n; ++t) {
    EXPECT_LE(errors[static_cast<size_t>(t)], kLayerMaxTolerance) << "position " << t;
  }
}

TEST_P(GoldenLogits, LogProbabilitiesAndGreedyContinuationMatchLlamaCpp) {
  const ModelCase& c = GetParam();
  const auto path = testing::require_model(c.model);
  if (!path) return;
  const Golden golden = load_golden(c.golden);
  const Model model = Model::load(*path, c.scalar ? kernels::scalar_kernels() : kernels::active_kernels());
  Session session(model, {.n_ctx = 512, .chunk = kChunk});
  const bool everything = check_everything();

  Stats stats;
  Checker check(c, stats);
  size_t n_prompts = 0;
  for (const GoldenPrompt& g : golden.prompts) {
    if (!everything && std::find(c.prompts.begin(), c.prompts.end(), g.name) == c.prompts.end()) continue;
    ++n_prompts;
    ASSERT_EQ(g.top_ids.size(), g.tokens.size() + g.continuation.size()) << g.name;
    const size_t n_continuation = everything ? g.continuation.size() : c.n_continuation;
    session.reset();

    // The prompt, through the prefill path.
    std::span<const float> last;
    const int64_t n_prompt = static_cast<int64_t>(g.tokens.size());
    const size_t vocab = static_cast<size_t>(session.vocab_size());
    for (int64_t start = 0; start < n_prompt; start += kChunk) {
      const int64_t n = std::min(kChunk, n_prompt - start);
      const std::span<const float> all = session.eval_all({g.tokens.data() + start, static_cast<size_t>(n)});
      for (int64_t t = 0; t < n; ++t) check.compare(g, start + t, all.subspan(static_cast<size_t>(t) * vocab, vocab));
      last = all.subspan(static_cast<size_t>(n - 1) * vocab, vocab);
    }

    // The greedy continuation, through the decode path.
    for (size_t i = 0; i < n_continuation; ++i) {
      const int64_t pos = n_prompt - 1 + static_cast<int64_t>(i); // predicts continuation[i]
      const int32_t ours = argmax(last);
      const int32_t want = g.continuation[i];
      if (ours != want) {
        if (!check.near_tie(g, pos)) {
          ADD_FAILURE() << g.name << ": greedy token " << i << " is " << ours << ", llama.cpp " << want;
        }
        stats.near_ties.push_back(g.name + " greedy step " + std::to_string(i) + " (continuation parts here), gap " +
                                  Checker::gap(g, pos));
        break;
      }
      last = session.eval({&want, 1});
      check.compare(g, pos + 1, last);
    }
  }
  const double mean = stats.positions ? stats.sum_deviation / static_cast<double>(stats.positions) : 0.0;
  std::sort(stats.deviations.begin(), stats.deviations.end());
  const double p99 = stats.deviations.empty() ? 0.0 : stats.deviations[stats.deviations.size() * 99 / 100];
  std::printf("[ golden   ] %s: %zu prompts, %lld positions; |logprob diff| per position: mean %.3f, p99 %.3f, "
              "max %.3f (%s); near ties: %zu\n",
              c.label, n_prompts, static_cast<long long>(stats.positions), mean, p99, stats.max_deviation,
              stats.max_where.c_str(), stats.near_ties.size());
  for (const std::string& t : stats.near_ties) std::printf("[ golden   ]   near tie in llama.cpp: %s\n", t.c_str());
  RecordProperty("mean_logprob_deviation", std::to_string(mean));
  RecordProperty("max_logprob_deviation", std::to_string(stats.max_deviation));
  EXPECT_LE(mean, c.mean_deviation) << "log-probabilities are off systematically, beyond the quantization noise";
}

// The selection: every SmolLM2 prompt with its whole continuation. Debug
// builds (the sanitizer build of CI runs these tests) are ~50x slower, so
// there two prompts with 8 continuation tokens each check the same code paths.
// LATHE_GOLDEN_ALL=1 checks every prompt in full in any build.
const std::vector<std::string> kAllPrompts = {"prose", "code", "chat", "numbers",
                                              "multilingual", "json", "repetition", "long"};
#ifdef NDEBUG
const std::vector<std::string> kSelection = kAllPrompts;
constexpr size_t kContinuation = 64;
#else
const std::vector<std::string> kSelection = {"prose", "chat"};
constexpr size_t kContinuation = 8;
#endif

// Tolerances (docs/decoder.md has the measurements they come from).
constexpr double kMaxDeviation = 1.5;
constexpr double kMeanDeviation = 0.35;
constexpr double kNearTie = 0.5;
// Qwen2.5's deviations are smaller (docs/decoder.md: mean 0.175 against SmolLM2's 0.27).
constexpr double kQwenMeanDeviation = 0.25;

INSTANTIATE_TEST_SUITE_P(
    DefaultModels, GoldenLogits,
    ::testing::Values(ModelCase{testing::kSmolLm2, "logits_smollm2-135m-instruct-q4_1.json", "SmolLM2", kMaxDeviation,
                                kMeanDeviation, kNearTie, kSelection, kContinuation, false},
                      ModelCase{testing::kSmolLm2, "logits_smollm2-135m-instruct-q4_1.json", "SmolLM2_scalar",
                                kMaxDeviation, kMeanDeviation, kNearTie, kSelection, kContinuation, true},
                      // Named so that the sanitizer run's SmolLM2 filter leaves it out.
                      ModelCase{testing::kQwen25, "logits_qwen2.5-coder-0.5b-instruct-q4_k_m.json", "Qwen25",
                                kMaxDeviation, kQwenMeanDeviation, kNearTie, kSelection, kContinuation, false}),
    [](const auto& info) { return std::string(info.param.label); });

} // namespace
} // namespace lathe
