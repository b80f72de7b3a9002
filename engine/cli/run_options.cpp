#include "engine/cli/run_options.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <thread>

namespace lathe::cli {

void add_run_options(CLI::App& cmd, RunOptions& o, std::optional<int64_t> default_ctx) {
  cmd.add_option("-m,--model", o.model, "Path to the .gguf model file")->required();
  cmd.add_option("-c,--ctx-size", o.ctx_size, "Context length in tokens (context.length; 0 = the model's, at most 4096)");
  if (default_ctx) o.ctx_size = *default_ctx;
  cmd.add_option("-t,--threads", o.threads, "Threads (threads.count; 0 = one per core)");
  cmd.add_option("-b,--batch-size", o.batch_size, "Prompt tokens per forward pass (prefill.chunk_size)");
  add_config_options(cmd, o.config);
}

void add_sampling_options(CLI::App& cmd, SamplingOptions& o) {
  cmd.add_option("-s,--seed", o.seed, "Seed of the sampler (sampling.seed; -1 = random)");
  cmd.add_option("--temp", o.temperature, "Temperature (sampling.temperature; 0 = greedy)");
  cmd.add_option("--top-k", o.top_k, "Keep the k most likely tokens (sampling.top_k; 0 = off)");
  cmd.add_option("--top-p", o.top_p, "Nucleus sampling threshold (sampling.top_p; 1 = off)");
  cmd.add_option("--min-p", o.min_p, "Drop tokens below min-p times the best (sampling.min_p; 0 = off)");
  cmd.add_option("--repeat-penalty", o.repeat_penalty, "Penalty on recent tokens (sampling.repeat_penalty; 1 = off)");
  cmd.add_option("--repeat-last-n", o.repeat_last_n, "Recent tokens the penalty looks at (sampling.repeat_last_n)");
}

RuntimeConfig resolve_config(const RunOptions& run, const SamplingOptions* sampling) {
  ConfigOptions c = run.config;
  // Each shortcut given becomes "--set knob=value"; an error about it names the flag instead.
  std::vector<std::pair<std::string, std::string>> spelled; // ("--set knob=value", "flag value")
  const auto set = [&](const char* flag, const char* knob, const auto& value) {
    if (!value) return;
    c.overrides.push_back(fmt::format("{}={}", knob, *value));
    spelled.emplace_back("--set " + c.overrides.back(), fmt::format("{} {}", flag, *value));
  };
  set("--ctx-size", "context.length", run.ctx_size);
  set("--threads", "threads.count", run.threads);
  set("--batch-size", "prefill.chunk_size", run.batch_size);
  if (sampling) {
    set("--seed", "sampling.seed", sampling->seed);
    set("--temp", "sampling.temperature", sampling->temperature);
    set("--top-k", "sampling.top_k", sampling->top_k);
    set("--top-p", "sampling.top_p", sampling->top_p);
    set("--min-p", "sampling.min_p", sampling->min_p);
    set("--repeat-penalty", "sampling.repeat_penalty", sampling->repeat_penalty);
    set("--repeat-last-n", "sampling.repeat_last_n", sampling->repeat_last_n);
  }
  try {
    RuntimeConfig config = load_runtime_config(c);
    require_implemented(config, /*loader_repacks=*/true);
    return config;
  } catch (const ConfigError& e) {
    std::string message = e.what();
    for (const auto& [set_form, flag_form] : spelled) {
      for (size_t at = message.find(set_form); at != std::string::npos; at = message.find(set_form, at)) {
        message.replace(at, set_form.size(), flag_form);
      }
    }
    throw ConfigError(message);
  }
}

SessionOptions session_options(const RuntimeConfig& config) {
  SessionOptions o;
  o.n_ctx = config.context.length;
  o.chunk = config.prefill.chunk_size;
  o.logit_rows = 1; // generation reads the last token's logits only
  o.n_threads = config.threads.count > 0 ? config.threads.count
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.pin_threads = config.threads.pin;
  o.kv_type = *kernels::kv_type_from_name(enum_name(config.kv_cache.type)); // the same names
  o.kv_window = config.kv_cache.max_tokens;
  o.huge_pages = config.memory.huge_pages;
  o.prefill_backend = config.prefill.backend;
  o.gemm_unit = config.prefill.gemm_unit;
  return o;
}

SamplerParams sampler_params(const RuntimeConfig& config, uint64_t* seed_used) {
  const RuntimeConfig::Sampling& s = config.sampling;
  SamplerParams p;
  p.temperature = static_cast<float>(s.temperature);
  p.top_k = s.top_k;
  p.top_p = static_cast<float>(s.top_p);
  p.min_p = static_cast<float>(s.min_p);
  p.repeat_penalty = static_cast<float>(s.repeat_penalty);
  p.repeat_last_n = s.repeat_last_n;
  p.seed = s.seed >= 0 ? static_cast<uint64_t>(s.seed) : (uint64_t{std::random_device{}()} << 32 | std::random_device{}());
  if (seed_used) *seed_used = p.seed;
  p.validate();
  return p;
}

LoadedModel load_model(const std::string& path, const RuntimeConfig& config) {
  MemoryOptions memory;
  memory.prefault = config.memory.prefault;
  memory.mlock = config.memory.mlock;
  memory.huge_pages = config.memory.huge_pages;
  Model model = Model::load(path, kernels::active_kernels(), memory,
                            config.kernels.matvec_layout == MatvecLayout::kRepacked);
  TokenizerOptions t;
  t.pre_tokenizer_override = config.tokenizer.pre_tokenizer;
  Tokenizer tokenizer = Tokenizer::from_gguf(model.file(), t);
  return {std::move(model), std::move(tokenizer)};
}

std::string read_text(const std::string& path) {
  if (path == "-") return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open '{}'", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace lathe::cli
