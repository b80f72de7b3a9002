// Tokenizer speed on the default models: encoding a large text (by default
// the WikiText-2 test split, which is not part of the project: pass its path
// in LATHE_BENCH_TEXT), encoding a short chat prompt, decoding, and building
// the tokenizer from the GGUF file.
//
//   LATHE_BENCH_TEXT=path/to/wikitext-2-test.txt build/bench/lathe_tokenizer_bench
//
// Models come from $LATHE_MODELS_DIR, else models/ of the checkout. A missing
// model or text skips that benchmark with a message.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace lathe {
namespace {

constexpr const char* kQwen = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
constexpr const char* kSmolLM = "smollm2-135m-instruct-q4_1.gguf";

std::filesystem::path model_path(const char* name) {
  const char* env = std::getenv("LATHE_MODELS_DIR");
  return std::filesystem::path(env && *env ? env : LATHE_DEFAULT_MODELS_DIR) / name;
}

struct Loaded {
  std::optional<gguf::GgufFile> file;
  std::optional<Tokenizer> tokenizer;
};

// Loads each model once per process; null (with the reason in `why`) when absent.
const Loaded* load(const char* name, std::string& why) {
  static std::map<std::string, std::unique_ptr<Loaded>> cache;
  auto& slot = cache[name];
  if (!slot) {
    const auto path = model_path(name);
    if (!std::filesystem::is_regular_file(path)) {
      why = path.string() + " is missing (scripts/fetch-models)";
      return nullptr;
    }
    slot = std::make_unique<Loaded>();
    slot->file.emplace(gguf::GgufFile::open(path));
    slot->tokenizer.emplace(Tokenizer::from_gguf(*slot->file));
  }
  return slot.get();
}

const std::string* bench_text(std::string& why) {
  static std::optional<std::string> text;
  if (!text) {
    const char* path = std::getenv("LATHE_BENCH_TEXT");
    if (!path || !*path) {
      why = "set LATHE_BENCH_TEXT to a large UTF-8 text file (e.g. wikitext-2-test.txt)";
      return nullptr;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      why = std::string("cannot open LATHE_BENCH_TEXT=") + path;
      return nullptr;
    }
    text.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return &*text;
}

void BM_EncodeText(benchmark::State& state, const char* model) {
  std::string why;
  const Loaded* m = load(model, why);
  const std::string* text = m ? bench_text(why) : nullptr;
  if (!text) {
    state.SkipWithError(why.c_str());
    return;
  }
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = m->tokenizer->encode(*text, /*parse_special=*/true);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text->size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(n_tokens), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_EncodeChatPrompt(benchmark::State& state, const char* model) {
  std::string why;
  const Loaded* m = load(model, why);
  if (!m) {
    state.SkipWithError(why.c_str());
    return;
  }
  const ChatMessage messages[] = {{"system", "You are a helpful assistant."},
                                  {"user", "Write a haiku about a lathe turning a block of oak."}};
  const std::string prompt = apply_chat_template(detect_chat_template(*m->file), *m->file, messages, true);
  for (auto _ : state) benchmark::DoNotOptimize(m->tokenizer->encode(prompt, true).data());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * prompt.size()));
}

void BM_StreamDecode(benchmark::State& state, const char* model) {
  std::string why;
  const Loaded* m = load(model, why);
  const std::string* text = m ? bench_text(why) : nullptr;
  if (!text) {
    state.SkipWithError(why.c_str());
    return;
  }
  const std::vector<int32_t> ids = m->tokenizer->encode(*text, true);
  for (auto _ : state) {
    StreamDecoder decoder(*m->tokenizer);
    size_t n = 0;
    for (int32_t id : ids) n += decoder.push(id).size();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}

void BM_BuildTokenizer(benchmark::State& state, const char* model) {
  std::string why;
  const Loaded* m = load(model, why);
  if (!m) {
    state.SkipWithError(why.c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::from_gguf(*m->file).vocab_size());
}

BENCHMARK_CAPTURE(BM_EncodeText, qwen2, kQwen)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeText, smollm, kSmolLM)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeChatPrompt, qwen2, kQwen)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EncodeChatPrompt, smollm, kSmolLM)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_StreamDecode, qwen2, kQwen)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildTokenizer, qwen2, kQwen)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildTokenizer, smollm, kSmolLM)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace lathe

BENCHMARK_MAIN();
