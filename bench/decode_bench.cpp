// Greedy decode speed of the default models through the engine's Session,
// one thread, with the kernel table this build compiled in: one iteration is
// one token (the forward pass and an argmax). The context restarts after a
// short prompt whenever it fills. An end-to-end number that does not depend
// on the CLI; llama-bench's tg test measures the same thing for llama.cpp.
//
//   build/bench/lathe_decode_bench --benchmark_repetitions=5
//
// Models come from $LATHE_MODELS_DIR, else models/ of the checkout; a missing
// model skips its benchmark with a message.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/runtime/session.h"

namespace lathe {
namespace {

std::filesystem::path model_path(const std::string& name) {
  const char* env = std::getenv("LATHE_MODELS_DIR");
  return std::filesystem::path(env && *env ? env : LATHE_DEFAULT_MODELS_DIR) / name;
}

// Each model is loaded once per process.
const Model* load(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Model>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const std::filesystem::path path = model_path(name);
    std::unique_ptr<Model> m;
    if (std::filesystem::exists(path)) m = std::make_unique<Model>(Model::load(path));
    it = cache.emplace(name, std::move(m)).first;
  }
  return it->second.get();
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void decode(benchmark::State& state, const std::string& name) {
  const Model* model = load(name);
  if (!model) {
    state.SkipWithError(("model not found: " + model_path(name).string()).c_str());
    return;
  }
  SessionOptions options;
  options.n_ctx = 1024;
  options.n_threads = 1;
  Session session(*model, options);
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8};
  int32_t token = argmax(session.eval(prompt));
  for (auto _ : state) {
    if (session.n_past() + 1 >= session.n_ctx()) {
      state.PauseTiming();
      session.rewind(0);
      token = argmax(session.eval(prompt));
      state.ResumeTiming();
    }
    token = argmax(session.eval(std::span<const int32_t>(&token, 1)));
  }
  state.SetItemsProcessed(state.iterations()); // tokens
  state.SetLabel(std::string(model->kernels().isa));
}

BENCHMARK_CAPTURE(decode, qwen2.5-coder-0.5b-q4_k_m, "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);
BENCHMARK_CAPTURE(decode, smollm2-135m-q4_1, "smollm2-135m-instruct-q4_1.gguf")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);

} // namespace
} // namespace lathe
