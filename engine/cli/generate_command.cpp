// `lathe generate -m MODEL [-p TEXT | -f FILE] [-n N] [--chat]`: continue a
// prompt (from -p, -f or standard input), streaming the text to stdout; the
// speeds go to stderr at the end.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/cli/run_options.h"
#include "engine/generate/adapters.h"
#include "engine/runtime/prompt_cache.h"
#include "engine/generate/generate.h"
#include "engine/generate/report.h"

namespace lathe::cli {

Command add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Continue a prompt, streaming the generated text");
  struct Options {
    RunOptions run;
    SamplingOptions sampling;
    std::string prompt;
    std::string file;
    int64_t n_predict = -1;
    bool chat = false;
    std::string system;
    std::vector<std::string> stop;
    bool ignore_eos = false;
    bool truncate = false;
  };
  auto o = std::make_shared<Options>();
  add_run_options(*cmd, o->run);
  add_sampling_options(*cmd, o->sampling);
  auto* p = cmd->add_option("-p,--prompt", o->prompt, "The prompt (default: read from -f, else from standard input)");
  cmd->add_option("-f,--file", o->file, "Read the prompt from this file ('-' = standard input)")->excludes(p);
  cmd->add_option("-n,--n-predict", o->n_predict, "Tokens to generate at most (-1 = until end of text or full context)")
      ->capture_default_str();
  cmd->add_flag("--chat", o->chat, "Wrap the prompt as a user message in the model's chat template");
  cmd->add_option("--system", o->system, "System message for --chat (default: the template's own, if any)");
  cmd->add_option("--stop", o->stop, "Stop when this text appears (repeatable); it is not printed")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--ignore-eos", o->ignore_eos, "Keep generating through end-of-text tokens");
  cmd->add_flag("--truncate", o->truncate,
                "Drop the oldest prompt tokens when the prompt does not fit in the context (default: an error)");
  return {cmd, [o] {
            if (o->n_predict < -1) throw std::invalid_argument("--n-predict must be -1 (no limit) or >= 0");
            const RuntimeConfig config = resolve_config(o->run, &o->sampling);
            uint64_t seed = 0;
            const SamplerParams sampling = sampler_params(config, &seed);
            const LoadedModel m = load_model(o->run.model, config);

            std::string text = !o->prompt.empty() ? o->prompt : read_text(o->file.empty() ? "-" : o->file);
            if (o->chat) {
              std::vector<ChatMessage> messages;
              if (!o->system.empty()) messages.push_back({"system", o->system});
              messages.push_back({"user", text});
              const ChatTemplateKind kind = detect_chat_template(m.model.file(), config.chat.template_name);
              text = apply_chat_template(kind, m.model.file(), messages, true);
            }
            const std::vector<int32_t> prompt = m.tokenizer.encode(text, true, true);

            Session session(m.model, session_options(config));
            SessionEvaluator evaluator(session);
            TokenizerText detok(m.tokenizer);
            Sampler sampler(session.vocab_size(), sampling);
            GenerateOptions g;
            g.max_new_tokens = o->n_predict;
            g.stop = o->stop;
            g.ignore_eos = o->ignore_eos;
            g.truncate_prompt = o->truncate;
            if (config.sampling.seed < 0) fmt::print(stderr, "lathe: seed {}\n", seed);

            // One request per process: the prompt cache starts empty and can hold nothing of it.
            const int64_t kept = keep_cached_prefix(session, prompt, config.prompt_cache.enabled);
            GenerateResult r = generate(evaluator, detok, sampler, std::span(prompt).subspan(static_cast<size_t>(kept)),
                                        g, [](std::string_view piece) {
                                          std::fwrite(piece.data(), 1, piece.size(), stdout);
                                          std::fflush(stdout);
                                          return true;
                                        });
            if (config.prompt_cache.enabled) r.timings.n_prompt_reused = kept;
            if (!r.text.empty() && r.text.back() != '\n') std::fputc('\n', stdout);
            std::fflush(stdout);
            print_generation_report(stderr, r, session.n_threads());
            return 0;
          }};
}

} // namespace lathe::cli
