// The one place where the runtime configuration (configs/engine.yaml, the
// mutable surface) reaches the engine objects the harness creates. Every
// knob the engine can act on is passed through here; the workload (prompts,
// their token ids, the token budget, stop rules) is not the configuration's
// to change and never passes through it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/model/model.h"
#include "engine/runtime/session.h"
#include "engine/sampler/sampler.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/eval/suite.h"

namespace lathe::harness {

struct EngineSetup {
  SessionOptions session;
  SamplerParams sampler;        // seed resolved per generation by sampler_params()
  bool random_seed = false;     // sampling.seed == -1
  int threads = 1;              // threads.count resolved (0 = one per core)
  // Knobs set away from their declared default that this engine does not act
  // on yet, and knobs the harness ignores on purpose, each with the reason.
  std::vector<std::string> not_applied;
};

// Throws ConfigError when the configuration cannot hold the workload
// (context.length below `needed_context` tokens).
EngineSetup engine_setup(const RuntimeConfig& config, const ModelConfig& model, int64_t needed_context);

// memory.* as the options Model::load applies to the mapping.
MemoryOptions memory_options(const RuntimeConfig& config);

// The sampler parameters for one generation; a fresh random seed when the
// configuration asks for one (written to *seed_used either way).
SamplerParams sampler_params(const EngineSetup& setup, uint64_t* seed_used);

// The tokenizer of the workload: the model file's own, whatever
// tokenizer.pre_tokenizer says (token ids are part of the fixed workload).
Tokenizer workload_tokenizer(const Model& model);

// The prompt's token ids: its messages rendered with the model file's chat
// template (chat.template is ignored for the same reason), with the opening of
// the assistant turn.
std::vector<int32_t> prompt_tokens(const Model& model, const Tokenizer& tokenizer, const SuitePrompt& prompt);

} // namespace lathe::harness
