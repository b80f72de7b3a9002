// `lathe chat -m MODEL`: an interactive conversation on the terminal. The
// whole history is rendered with the model's chat template before each
// reply. With prompt_cache.enabled, the part of it already in the KV cache
// (the common prefix of token ids) is kept and only the rest is evaluated;
// without, the whole history is evaluated again each turn. When the history
// outgrows the context, the oldest exchanges are dropped.
//
// Lines starting with '/' are commands: /reset forgets the conversation,
// /exit (or end of input) quits. A line ending with '\' continues on the next.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/cli/run_options.h"
#include "engine/generate/adapters.h"
#include "engine/runtime/prompt_cache.h"
#include "engine/generate/generate.h"

namespace lathe::cli {
namespace {

// Reads one message; a trailing backslash joins the next line. False at end of input.
bool read_message(bool interactive, std::string& out) {
  out.clear();
  if (interactive) fmt::print(stdout, "> ");
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      out += line + "\n";
      if (interactive) fmt::print(stdout, ". ");
      std::fflush(stdout);
      continue;
    }
    out += line;
    return true;
  }
  return !out.empty();
}

} // namespace

Command add_chat_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "Chat with the model on the terminal (history kept in the chat template)");
  struct Options {
    RunOptions run;
    SamplingOptions sampling;
    std::string system;
    int64_t n_predict = -1;
  };
  auto o = std::make_shared<Options>();
  add_run_options(*cmd, o->run);
  add_sampling_options(*cmd, o->sampling);
  cmd->add_option("--system", o->system, "System message (default: the template's own, if any)");
  cmd->add_option("-n,--n-predict", o->n_predict, "Tokens per reply at most (-1 = until the end of the turn)")
      ->capture_default_str();
  return {cmd, [o] {
            const RuntimeConfig config = resolve_config(o->run, &o->sampling);
            uint64_t seed = 0;
            const SamplerParams sampling = sampler_params(config, &seed);
            const LoadedModel m = load_model(o->run.model, config);
            const ChatTemplateKind kind = detect_chat_template(m.model.file(), config.chat.template_name);
            Session session(m.model, session_options(config));
            SessionEvaluator evaluator(session);
            TokenizerText detok(m.tokenizer);
            Sampler sampler(session.vocab_size(), sampling);
            GenerateOptions g;
            g.max_new_tokens = o->n_predict;

            const bool interactive = isatty(fileno(stdin));
            if (interactive) {
              fmt::print(stderr, "lathe chat: {} ({} template, context {}). /reset starts over, /exit quits.\n",
                         m.model.config().name, chat_template_name(kind), session.n_ctx());
            }
            std::vector<ChatMessage> history;
            if (!o->system.empty()) history.push_back({"system", o->system});
            const size_t first_turn = history.size();

            std::string message;
            while (read_message(interactive, message)) {
              if (message == "/exit" || message == "/quit") break;
              if (message == "/reset") {
                history.resize(first_turn);
                session.reset();
                sampler.reset();
                fmt::print(stderr, "lathe chat: conversation cleared\n");
                continue;
              }
              if (message.empty()) continue;
              history.push_back({"user", message});

              // The prompt for the whole history; the oldest exchanges go
              // while it leaves less than a quarter of the context for the reply.
              std::vector<int32_t> ids;
              for (;;) {
                ids = m.tokenizer.encode(apply_chat_template(kind, m.model.file(), history, true), true, true);
                if (static_cast<int64_t>(ids.size()) <= session.n_ctx() * 3 / 4 || history.size() <= first_turn + 1) {
                  break;
                }
                history.erase(history.begin() + static_cast<std::ptrdiff_t>(first_turn),
                              history.begin() + static_cast<std::ptrdiff_t>(std::min(first_turn + 2, history.size() - 1)));
                fmt::print(stderr, "lathe chat: the oldest exchange was dropped to fit the context\n");
              }
              if (static_cast<int64_t>(ids.size()) >= session.n_ctx()) {
                fmt::print(stderr, "lathe chat: this message ({} tokens) does not fit in the context of {}\n",
                           ids.size(), session.n_ctx());
                history.pop_back();
                continue;
              }
              // With the prompt cache, keep what the KV cache already holds of
              // the history; without it, evaluate the whole history again.
              const auto keep = static_cast<size_t>(keep_cached_prefix(session, ids, config.prompt_cache.enabled));
              const GenerateResult r = generate(evaluator, detok, sampler, std::span(ids).subspan(keep), g,
                                                [](std::string_view piece) {
                                                  std::fwrite(piece.data(), 1, piece.size(), stdout);
                                                  std::fflush(stdout);
                                                  return true;
                                                });
              fmt::print(stdout, "\n");
              std::fflush(stdout);
              history.push_back({"assistant", r.text});
              fmt::print(stderr, "[{} tokens, {:.2f} tokens/s; prompt {} tokens, {} reused from the cache; {} of {} context tokens used]\n",
                         r.tokens.size(), r.timings.decode_tokens_per_s(), ids.size(), keep, session.n_past(),
                         session.n_ctx());
            }
            if (config.sampling.seed < 0) fmt::print(stderr, "lathe chat: seed was {}\n", seed);
            return 0;
          }};
}

} // namespace lathe::cli
