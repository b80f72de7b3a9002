// Options shared by the commands that run a model (generate, chat,
// perplexity): the model file, the runtime configuration (--config / --set),
// and llama.cpp-spelled shortcuts for its most used knobs. A shortcut is
// applied as one more --set override, so it is validated by the knob table
// and wins over the file.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cli/config_options.h"
#include "engine/config/config.h"
#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "engine/sampler/sampler.h"
#include "engine/tokenizer/tokenizer.h"

namespace lathe::cli {

struct RunOptions {
  std::string model;
  ConfigOptions config;
  std::optional<int64_t> ctx_size;   // -c    context.length
  std::optional<int> threads;        // -t    threads.count
  std::optional<int64_t> batch_size; // -b    prefill.chunk_size
};

struct SamplingOptions {
  std::optional<int64_t> seed;           // -s                sampling.seed
  std::optional<double> temperature;     // --temp            sampling.temperature
  std::optional<int32_t> top_k;          // --top-k           sampling.top_k
  std::optional<double> top_p;           // --top-p           sampling.top_p
  std::optional<double> min_p;           // --min-p           sampling.min_p
  std::optional<double> repeat_penalty;  // --repeat-penalty  sampling.repeat_penalty
  std::optional<int32_t> repeat_last_n;  // --repeat-last-n   sampling.repeat_last_n
};

void add_run_options(CLI::App& cmd, RunOptions& o, std::optional<int64_t> default_ctx = std::nullopt);
void add_sampling_options(CLI::App& cmd, SamplingOptions& o);

// The effective configuration: file, --set, then the shortcuts that were given.
// Throws ConfigError.
RuntimeConfig resolve_config(const RunOptions& run, const SamplingOptions* sampling = nullptr);

SessionOptions session_options(const RuntimeConfig& config);

// The sampler's parameters; a random seed is drawn when sampling.seed is -1
// (written to *seed_used either way, so a run can be repeated).
SamplerParams sampler_params(const RuntimeConfig& config, uint64_t* seed_used);

// Everything a command needs to run the model, loaded once.
struct LoadedModel {
  Model model;
  Tokenizer tokenizer;
};
LoadedModel load_model(const std::string& path, const RuntimeConfig& config);

// The whole of a file, or of standard input for "-".
std::string read_text(const std::string& path);

} // namespace lathe::cli
