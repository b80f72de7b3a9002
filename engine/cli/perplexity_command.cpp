// `lathe perplexity -m MODEL -f FILE [-c CTX] [--chunks N]`: perplexity of a
// text by llama.cpp's method (engine/metrics/perplexity.h), printing the
// running value after each window and the final value with its standard error.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/cli/run_options.h"
#include "engine/metrics/perplexity.h"

namespace lathe::cli {

Command add_perplexity_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("perplexity", "Perplexity of a text file, as llama.cpp's perplexity tool computes it");
  struct Options {
    RunOptions run;
    std::string file;
    int64_t chunks = -1;
  };
  auto o = std::make_shared<Options>();
  add_run_options(*cmd, o->run, int64_t{512});
  cmd->get_option("--ctx-size")->description("Window length in tokens (default 512)");
  cmd->add_option("-f,--file", o->file, "The text ('-' = standard input)")->required();
  cmd->add_option("--chunks", o->chunks, "Windows of -c tokens to score (-1 = all)")->capture_default_str();
  return {cmd, [o] {
            if (o->chunks < -1 || o->chunks == 0) throw std::invalid_argument("--chunks must be -1 (all) or positive");
            const RuntimeConfig config = resolve_config(o->run);
            const LoadedModel m = load_model(o->run.model, config);
            SessionOptions so = session_options(config);
            so.logit_rows = 0; // every position of a chunk is scored
            if (so.n_ctx == 0) so.n_ctx = std::min(m.model.config().context_length, SessionOptions::kDefaultContext);
            Session session(m.model, so);

            const std::string text = read_text(o->file);
            fmt::print(stderr, "perplexity: tokenizing the input ...\n");
            const std::vector<int32_t> tokens = m.tokenizer.encode(text, false, true);
            PerplexityOptions po;
            po.n_ctx = so.n_ctx;
            po.max_chunks = o->chunks;
            po.bos = m.tokenizer.add_bos() ? m.tokenizer.bos_id() : -1;
            const int64_t available = static_cast<int64_t>(tokens.size()) / po.n_ctx;
            fmt::print(stderr, "perplexity: {} tokens; {} windows of {} (batch {}, {} thread{}, kernels {})\n",
                       tokens.size(), o->chunks < 0 ? available : std::min(o->chunks, available), po.n_ctx,
                       session.chunk(), session.n_threads(), session.n_threads() == 1 ? "" : "s",
                       m.model.kernels().isa);

            const PerplexityResult r = perplexity(session, tokens, po, [](const PerplexityProgress& p) {
              if (p.chunk == 1) {
                fmt::print(stderr, "perplexity: {:.2f} seconds per window, about {:.1f} minutes in all\n", p.seconds,
                           p.seconds * static_cast<double>(p.n_chunks) / 60.0);
              }
              fmt::print(stdout, "[{}]{:.4f},", p.chunk, p.perplexity);
              std::fflush(stdout);
            });
            fmt::print(stdout, "\nFinal estimate: PPL = {:.4f} +/- {:.5f}\n", r.perplexity, r.perplexity_error);
            fmt::print(stderr, "perplexity: {} tokens scored in {} windows, {:.1f} s ({:.1f} tokens/s evaluated)\n",
                       r.n_scored, r.n_chunks, r.seconds,
                       static_cast<double>(r.n_chunks * po.n_ctx) / std::max(r.seconds, 1e-9));
            return 0;
          }};
}

} // namespace lathe::cli
