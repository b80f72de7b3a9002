// lathe: the command-line front end. Subcommands live in their own files;
// this file only wires them together and turns exceptions into exit codes.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <vector>

#include "engine/cli/commands.h"
#include "kernels/isa_config.h"

int main(int argc, char** argv) {
  CLI::App app{"lathe: a from-scratch 4-bit CPU inference engine for GGUF models"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("lathe {} (kernels: {})", LATHE_VERSION, lathe::kernels::kIsaName));

  const std::vector<lathe::cli::Command> commands = {
      lathe::cli::add_info_command(app),
      lathe::cli::add_tokenize_command(app),
      lathe::cli::add_config_command(app),
      lathe::cli::add_generate_command(app),
      lathe::cli::add_chat_command(app),
      lathe::cli::add_perplexity_command(app),
      lathe::cli::add_bench_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "lathe: error: {}\n", e.what());
    return 1;
  }
  return 1;
}
