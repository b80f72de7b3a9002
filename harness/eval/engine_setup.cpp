#include "harness/eval/engine_setup.h"

#include <fmt/format.h>

#include <random>
#include <thread>

#include "engine/config/knobs.h"
#include "engine/tokenizer/chat_template.h"

namespace lathe::harness {
namespace {

// Knobs this engine does not read yet (docs/surface.md, "declared now, wired
// later"). When the runtime learns one, it moves from here into engine_setup().
constexpr std::string_view kNotWiredYet[] = {
    "kernels.matvec_layout",
};

// Knobs the harness ignores by design, and why.
struct Ignored {
  std::string_view knob;
  std::string_view why;
};
constexpr Ignored kIgnored[] = {
    {"chat.template", "the workload's token ids are fixed by the suite (the model file's template)"},
    {"tokenizer.pre_tokenizer", "the workload's token ids are fixed by the suite (the model file's tokenizer)"},
    {"prompt_cache.enabled", "every generation runs in a fresh session, so nothing can be cached between runs"},
};

} // namespace

EngineSetup engine_setup(const RuntimeConfig& config, const ModelConfig& model, int64_t needed_context) {
  require_implemented(config);
  EngineSetup s;
  const int64_t n_ctx = config.context.length == 0 ? std::min(model.context_length, SessionOptions::kDefaultContext)
                                                   : config.context.length;
  if (n_ctx < needed_context) {
    throw ConfigError(fmt::format("context.length: {} tokens cannot hold the workload, which needs {}", n_ctx,
                                  needed_context));
  }
  s.session.n_ctx = config.context.length;
  s.session.chunk = config.prefill.chunk_size;
  s.session.logit_rows = 1; // generation; the quality pass asks for a chunk's
  s.session.kv_type = *kernels::kv_type_from_name(enum_name(config.kv_cache.type)); // the same names
  s.session.kv_window = config.kv_cache.max_tokens;
  s.session.prefill_backend = config.prefill.backend;
  s.session.gemm_unit = config.prefill.gemm_unit;
  s.session.pin_threads = config.threads.pin;
  s.session.huge_pages = config.memory.huge_pages;

  const RuntimeConfig::Sampling& c = config.sampling;
  s.sampler.temperature = static_cast<float>(c.temperature);
  s.sampler.top_k = c.top_k;
  s.sampler.top_p = static_cast<float>(c.top_p);
  s.sampler.min_p = static_cast<float>(c.min_p);
  s.sampler.repeat_penalty = static_cast<float>(c.repeat_penalty);
  s.sampler.repeat_last_n = c.repeat_last_n;
  s.random_seed = c.seed < 0;
  s.sampler.seed = s.random_seed ? 0 : static_cast<uint64_t>(c.seed);
  s.sampler.validate();

  s.threads = config.threads.count > 0 ? config.threads.count
                                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.session.n_threads = s.threads;

  const RuntimeConfig defaults;
  for (const Knob& knob : knobs()) {
    const bool changed = knob.get(config) != knob.get(defaults);
    if (!changed) continue;
    const std::string value = format_knob_value(knob, knob.get(config));
    for (std::string_view name : kNotWiredYet) {
      if (knob.name == name) {
        s.not_applied.push_back(fmt::format("{}={}: not applied, the engine does not read this knob yet", knob.name, value));
      }
    }
    for (const Ignored& ig : kIgnored) {
      if (knob.name == ig.knob) s.not_applied.push_back(fmt::format("{}={}: ignored, {}", knob.name, value, ig.why));
    }
  }
  return s;
}

MemoryOptions memory_options(const RuntimeConfig& config) {
  MemoryOptions m;
  m.prefault = config.memory.prefault;
  m.mlock = config.memory.mlock;
  m.huge_pages = config.memory.huge_pages;
  return m;
}

SamplerParams sampler_params(const EngineSetup& setup, uint64_t* seed_used) {
  SamplerParams p = setup.sampler;
  if (setup.random_seed) {
    std::random_device rd;
    p.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  if (seed_used) *seed_used = p.seed;
  return p;
}

Tokenizer workload_tokenizer(const Model& model) { return Tokenizer::from_gguf(model.file()); }

std::vector<int32_t> prompt_tokens(const Model& model, const Tokenizer& tokenizer, const SuitePrompt& prompt) {
  const ChatTemplateKind kind = detect_chat_template(model.file());
  std::vector<ChatMessage> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  const std::string text = apply_chat_template(kind, model.file(), messages, /*add_generation_prompt=*/true);
  return tokenizer.encode(text, /*parse_special=*/true, /*add_bos_eos=*/true);
}

} // namespace lathe::harness
