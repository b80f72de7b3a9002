// The `lathe` subcommands. Each registers its options on the CLI11 app and
// runs when chosen; a run returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace lathe::cli {

struct Command {
  CLI::App* app;           // the subcommand, to ask whether it was chosen
  std::function<int()> run; // runs it once the command line is parsed
};

Command add_info_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_config_command(CLI::App& app);
Command add_generate_command(CLI::App& app);
Command add_chat_command(CLI::App& app);
Command add_perplexity_command(CLI::App& app);
Command add_bench_command(CLI::App& app);

} // namespace lathe::cli
