// lathe-profile: where the time of one decode token and one prefill chunk
// goes, operation by operation (harness/profile runs it; docs/harness.md,
// "Profiling").
//
// No timing hook in the engine: the model is loaded with a copy of the active
// kernel table whose every entry is a trampoline that times the real kernel
// and adds the time to its operation, per thread. The engine cannot tell the
// difference (the table is its only way to reach a kernel), and an ordinary
// build pays nothing. A matrix product is attributed to its tensor kind (wq,
// ..., output) by the weight's address.
//
// Per forward pass:
//   op time      parallel kernels (matvec/matmul, attention): the mean busy
//                time over the threads; serial kernels: their time
//   threads      for the parallel kernels, the busiest thread's busy time
//                minus the mean (load imbalance: the others wait)
//   rest         the pass's wall time minus all of the above: fork/join,
//                the forward pass's own loops, copies, untimed work
// Sampling (decode only) is timed around the configured sampler.
#include <fmt/format.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <map>
#include <unordered_map>
#include <vector>

#include "engine/config/config.h"
#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "engine/sampler/sampler.h"
#include "harness/eval/engine_setup.h"
#include "harness/eval/suite.h"
#include "harness/eval/workload.h"
#include "kernels/kernel_table.h"

namespace lathe::harness {
namespace {

using Clock = std::chrono::steady_clock;

// Operations that are not matrix products.
enum Op : int { kQuantize, kAttention, kNorm, kRope, kAdd, kSiluMul, kEmbed, kNumOps };
constexpr std::string_view kOpNames[kNumOps] = {"quantize activations (x -> q8)",
                                                "attention",
                                                "rmsnorm",
                                                "rope",
                                                "add (residual, bias)",
                                                "silu * up",
                                                "embedding row"};
constexpr bool kOpParallel[kNumOps] = {false, true, false, false, false, false, false};

// Matrix products, by tensor kind.
enum Kind : int { kWq, kWk, kWv, kWo, kGate, kUp, kDown, kOutput, kOther, kNumKinds };
constexpr std::string_view kKindNames[kNumKinds] = {"wq", "wk", "wv", "wo", "ffn_gate", "ffn_up", "ffn_down",
                                                    "output", "other"};
constexpr int kMaxThreads = 256;
constexpr int kSlots = int{kNumOps} + int{kNumKinds};

struct alignas(64) ThreadTimes {
  std::array<double, kSlots> s{};
};

// The recorder the trampolines write to: one row per thread, so no locks.
struct Recorder {
  bool on = false;
  std::array<ThreadTimes, kMaxThreads> t{};
  std::unordered_map<const void*, Kind> kind_of; // weight data -> kind
  std::array<std::string, kNumKinds> types;      // "Q4_K", "Q4_K+Q6_K" when layers differ

  void add(int slot, double s) { t[static_cast<size_t>(omp_get_thread_num())].s[static_cast<size_t>(slot)] += s; }
  void clear() {
    for (auto& x : t) x.s.fill(0.0);
  }
} g_rec;

kernels::KernelTable g_orig; // the real kernels

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename F, typename... A>
auto timed(int slot, F f, A... a) {
  if (!g_rec.on) return f(a...);
  const Clock::time_point t0 = Clock::now();
  if constexpr (std::is_void_v<decltype(f(a...))>) {
    f(a...);
    g_rec.add(slot, seconds_since(t0));
  } else {
    auto r = f(a...);
    g_rec.add(slot, seconds_since(t0));
    return r;
  }
}

int kind_slot(const void* w) {
  const auto it = g_rec.kind_of.find(w);
  return int{kNumOps} + int{it == g_rec.kind_of.end() ? kOther : it->second};
}

// One trampoline pair per LinearKernels member of the table.
template <kernels::LinearKernels kernels::KernelTable::*M>
void matvec_t(const void* __restrict w, const void* __restrict x, float* __restrict y, int64_t n, int64_t r0,
              int64_t r1) {
  timed(kind_slot(w), (g_orig.*M).matvec, w, x, y, n, r0, r1);
}
template <kernels::LinearKernels kernels::KernelTable::*M>
void matmul_t(const void* __restrict w, const void* __restrict x, float* __restrict y, int64_t n, int64_t nt,
              int64_t ys, int64_t r0, int64_t r1) {
  timed(kind_slot(w), (g_orig.*M).matmul, w, x, y, n, nt, ys, r0, r1);
}
template <kernels::LinearKernels kernels::KernelTable::*M>
void gemm_t(const void* __restrict w, const void* __restrict x, float* __restrict y, int64_t n, int64_t nt,
            int64_t ys, int64_t r0, int64_t r1, void* scratch) {
  timed(kind_slot(w), (g_orig.*M).gemm, w, x, y, n, nt, ys, r0, r1, scratch);
}
template <kernels::LinearKernels kernels::KernelTable::*M>
void wrap_linear(kernels::KernelTable& t) {
  if ((t.*M).matvec) (t.*M).matvec = &matvec_t<M>;
  if ((t.*M).matmul) (t.*M).matmul = &matmul_t<M>;
  if ((t.*M).gemm) (t.*M).gemm = &gemm_t<M>;
}
// One trampoline per attention kernel (one per KV cache type).
template <kernels::AttentionFn kernels::KernelTable::*M>
void attention_t(const kernels::AttentionShape& s, const float* __restrict q, const void* __restrict k,
                 const void* __restrict v, float* __restrict out, float* __restrict sc, int64_t h0, int64_t h1) {
  timed(kAttention, g_orig.*M, s, q, k, v, out, sc, h0, h1);
}
template <kernels::AttentionFn kernels::KernelTable::*M>
void wrap_attention(kernels::KernelTable& t) {
  if (t.*M) t.*M = &attention_t<M>;
}
template <kernels::QuantizeRowFn kernels::KernelTable::*M>
void quantize_t(const float* __restrict x, void* __restrict y, int64_t n) {
  timed(kQuantize, g_orig.*M, x, y, n);
}

kernels::KernelTable profiling_table() {
  using T = kernels::KernelTable;
  g_orig = kernels::active_kernels();
  T t = g_orig;
  if (t.quantize_q8_0) t.quantize_q8_0 = &quantize_t<&T::quantize_q8_0>;
  if (t.quantize_q8_1) t.quantize_q8_1 = &quantize_t<&T::quantize_q8_1>;
  if (t.quantize_q8_k) t.quantize_q8_k = &quantize_t<&T::quantize_q8_k>;
  wrap_linear<&T::f32>(t);
  wrap_linear<&T::f16>(t);
  wrap_linear<&T::bf16>(t);
  wrap_linear<&T::q4_0>(t);
  wrap_linear<&T::q4_1>(t);
  wrap_linear<&T::q5_0>(t);
  wrap_linear<&T::q5_1>(t);
  wrap_linear<&T::q8_0>(t);
  wrap_linear<&T::q2_k>(t);
  wrap_linear<&T::q3_k>(t);
  wrap_linear<&T::q4_k>(t);
  wrap_linear<&T::q5_k>(t);
  wrap_linear<&T::q6_k>(t);
  t.dequantize_row = [](kernels::QuantType ty, const void* s, float* d, int64_t n) {
    return timed(kEmbed, g_orig.dequantize_row, ty, s, d, n);
  };
  t.rmsnorm = [](const float* x, const float* __restrict w, float* y, int64_t n, float eps) {
    timed(kNorm, g_orig.rmsnorm, x, w, y, n, eps);
  };
  t.silu_mul = [](const float* g, const float* u, float* y, int64_t n) { timed(kSiluMul, g_orig.silu_mul, g, u, y, n); };
  t.add = [](float* __restrict x, const float* __restrict y, int64_t n) { timed(kAdd, g_orig.add, x, y, n); };
  t.rope = [](float* x, int64_t h, int64_t pos, const kernels::RopeParams& p) { timed(kRope, g_orig.rope, x, h, pos, p); };
  wrap_attention<&T::attention>(t);
  wrap_attention<&T::attention_f16>(t);
  wrap_attention<&T::attention_q8_0>(t);
  wrap_attention<&T::attention_q4_0>(t);
  return t;
}

void classify_weights(const Model& model) {
  const auto add = [](const WeightView& w, Kind k) {
    if (!w.present()) return;
    g_rec.kind_of.emplace(w.data, k);
    const std::string name(kernels::quant_traits(static_cast<uint32_t>(w.type))->name);
    std::string& types = g_rec.types[k];
    if (types.find(name) == std::string::npos) types += (types.empty() ? "" : "+") + name;
  };
  for (const LayerWeights& L : model.weights().layers) {
    add(L.wq, kWq);
    add(L.wk, kWk);
    add(L.wv, kWv);
    add(L.wo, kWo);
    add(L.w_gate, kGate);
    add(L.w_up, kUp);
    add(L.w_down, kDown);
  }
  add(model.weights().output, kOutput);
}

// The attribution of `passes` forward passes that took `wall` seconds.
struct Breakdown {
  std::vector<std::pair<std::string, double>> rows; // name, seconds per pass
  double wall = 0.0;                                // seconds per pass
};

Breakdown attribute(std::string_view product, int threads, double wall, double sampling, int64_t passes) {
  Breakdown b;
  const double per = 1.0 / static_cast<double>(passes);
  double accounted = 0.0, imbalance = 0.0;
  for (int slot = 0; slot < kSlots; ++slot) {
    const bool parallel = slot >= kNumOps || kOpParallel[slot];
    double sum = 0.0, max = 0.0;
    for (int i = 0; i < threads; ++i) {
      sum += g_rec.t[static_cast<size_t>(i)].s[static_cast<size_t>(slot)];
      max = std::max(max, g_rec.t[static_cast<size_t>(i)].s[static_cast<size_t>(slot)]);
    }
    const double value = parallel ? sum / threads : sum;
    if (parallel) imbalance += max - value;
    accounted += value;
    if (sum == 0.0) continue;
    const std::string name = slot < kNumOps ? std::string(kOpNames[slot])
                                            : fmt::format("{} {} ({})", product, kKindNames[slot - kNumOps],
                                                          g_rec.types[static_cast<size_t>(slot - kNumOps)]);
    b.rows.emplace_back(name, value * per);
  }
  std::stable_sort(b.rows.begin(), b.rows.end(), [](const auto& x, const auto& y) {
    const bool mx = x.first.starts_with("mat"), my = y.first.starts_with("mat");
    return mx != my ? mx : x.second > y.second;
  });
  if (sampling > 0) b.rows.emplace_back("sampling", sampling * per);
  b.rows.emplace_back("threads: load imbalance", imbalance * per);
  b.rows.emplace_back("rest (fork/join, loops, copies)", std::max(0.0, wall - accounted - imbalance) * per);
  b.wall = (wall + sampling) * per;
  return b;
}

void print_table(const std::string& title, const Breakdown& b) {
  fmt::print("\n{}\n", title);
  fmt::print("  {:<40} {:>10} {:>7}\n", "operation", "ms", "share");
  double total = 0.0;
  for (const auto& [name, s] : b.rows) {
    fmt::print("  {:<40} {:>10.3f} {:>6.1f}%\n", name, 1e3 * s, b.wall > 0 ? 100.0 * s / b.wall : 0.0);
    total += s;
  }
  fmt::print("  {:<40} {:>10.3f} {:>6.1f}%\n", "total (wall)", 1e3 * b.wall, b.wall > 0 ? 100.0 * total / b.wall : 0.0);
}

int run(int argc, char** argv) {
  std::string root = LATHE_SOURCE_DIR, suite_name = "full", models_dir, config_file;
  std::vector<std::string> overrides;
  int64_t decode_tokens = 64, context = 256, repeats = 3;
  CLI::App app{"lathe-profile: per-operation time of one decode token and one prefill chunk"};
  app.add_option("--suite", suite_name, "Whose model and reference text: full (default) or quick");
  app.add_option("--config", config_file, "YAML configuration instead of configs/engine.yaml");
  app.add_option("--set", overrides, "Override one knob (repeatable), e.g. --set threads.count=2")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--context", context, "Tokens of reference text read before decoding (>= one chunk)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--tokens", decode_tokens, "Decode tokens timed per repeat")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--repeats", repeats, "Repeats (each in a fresh session, after one untimed)")
      ->check(CLI::Range(int64_t{1}, int64_t{100}));
  app.add_option("--models-dir", models_dir, "Where the models are (default: $LATHE_MODELS_DIR or models/)");
  app.add_option("--root", root, "The source tree");
  CLI11_PARSE(app, argc, argv);
  if (models_dir.empty()) models_dir = std::getenv("LATHE_MODELS_DIR") ? std::getenv("LATHE_MODELS_DIR") : root + "/models";

  const std::filesystem::path harness_dir = std::filesystem::path(root) / "harness";
  const Suite suite = load_suite(suite_name == "full"    ? harness_dir / "suite.yaml"
                                 : suite_name == "quick" ? harness_dir / "suite-quick.yaml"
                                                         : std::filesystem::path(suite_name));
  const RuntimeConfig config =
      load_config(config_file.empty() ? default_config_path() : std::filesystem::path(config_file), overrides);
  static const kernels::KernelTable table = profiling_table();
  const Model model = Model::load(std::filesystem::path(models_dir) / suite.model_file, table);
  classify_weights(model);
  const Tokenizer tokenizer = workload_tokenizer(model);
  const Workload workload = build_workload(model, tokenizer, suite);
  std::vector<int32_t> text;
  for (const auto& w : workload.text_windows) text.insert(text.end(), w.tokens.begin(), w.tokens.end());
  const EngineSetup setup = engine_setup(config, model.config(), context + decode_tokens);
  const int64_t chunk = setup.session.chunk;
  if (context < chunk || context > static_cast<int64_t>(text.size())) {
    throw std::runtime_error(fmt::format("--context must be in [{} (a chunk), {} (the reference text)]", chunk,
                                         text.size()));
  }
  const int threads = setup.threads;
  if (threads > kMaxThreads) throw std::runtime_error("too many threads");

  double prefill_wall = 0.0, decode_wall = 0.0, sampling = 0.0;
  int64_t prefill_passes = 0, decode_passes = 0;
  std::vector<ThreadTimes> prefill_times(kMaxThreads), decode_times(kMaxThreads);
  const auto accumulate = [&](std::vector<ThreadTimes>& into) {
    for (size_t i = 0; i < static_cast<size_t>(threads); ++i) {
      for (size_t k = 0; k < kSlots; ++k) into[i].s[k] += g_rec.t[i].s[k];
    }
  };
  for (int64_t rep = 0; rep <= repeats; ++rep) {
    const bool timed_rep = rep > 0; // the first is a warm-up
    Session session(model, setup.session);
    Sampler sampler(model.config().vocab_size, sampler_params(setup, nullptr));

    // Prefill: the context, one chunk per forward pass (as eval() splits it);
    // a short last chunk is not a chunk's work and is not timed.
    g_rec.clear();
    std::span<const float> logits;
    for (int64_t p = 0; p < context; p += chunk) {
      const int64_t n = std::min(chunk, context - p);
      g_rec.on = timed_rep && n == chunk;
      const Clock::time_point t0 = Clock::now();
      logits = session.eval({text.data() + p, static_cast<size_t>(n)});
      if (g_rec.on) {
        prefill_wall += seconds_since(t0);
        ++prefill_passes;
      }
    }
    g_rec.on = false;
    if (timed_rep) accumulate(prefill_times);

    // Decode: one token per forward pass, sampled by the configured sampler.
    g_rec.clear();
    g_rec.on = timed_rep;
    for (int64_t i = 0; i < decode_tokens; ++i) {
      Clock::time_point t0 = Clock::now();
      const int32_t token = sampler.sample(logits);
      sampler.accept(token);
      const double s = seconds_since(t0);
      t0 = Clock::now();
      logits = session.eval({&token, 1});
      if (timed_rep) {
        decode_wall += seconds_since(t0);
        sampling += s;
        ++decode_passes;
      }
    }
    g_rec.on = false;
    if (timed_rep) accumulate(decode_times);
  }

  fmt::print("model: {} ({} kernels, {} thread{}), prefill chunk {} tokens, decode after {} tokens of context\n",
             suite.model_file, kernels::active_kernels().isa, threads, threads == 1 ? "" : "s", chunk, context);
  fmt::print("timed: {} repeats, each in a fresh session after one untimed: {} prefill chunks, {} decode tokens\n",
             repeats, prefill_passes, decode_passes);
  std::copy(decode_times.begin(), decode_times.end(), g_rec.t.begin());
  print_table(fmt::format("one decode token (mean over {}, context {}..{})", decode_passes, context,
                          context + decode_tokens),
              attribute("matvec", threads, decode_wall, sampling, decode_passes));
  std::copy(prefill_times.begin(), prefill_times.end(), g_rec.t.begin());
  print_table(fmt::format("one prefill chunk of {} tokens (mean over {}, positions 0..{})", chunk, prefill_passes,
                          context),
              attribute("matmul", threads, prefill_wall, 0.0, prefill_passes));
  return 0;
}

} // namespace
} // namespace lathe::harness

int main(int argc, char** argv) {
  try {
    return lathe::harness::run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "lathe-profile: error: {}\n", e.what());
    return 2;
  }
}
