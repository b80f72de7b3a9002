// `lathe config --print [--config FILE] [--set key=value]...`: validate and
// print the effective configuration. `lathe config --help` lists every knob
// with its type, default, allowed values and help, from the knob table.
#include <fmt/format.h>

#include <memory>

#include "engine/cli/commands.h"
#include "engine/cli/config_options.h"
#include "engine/config/knobs.h"

namespace lathe::cli {
namespace {

std::string knob_list() {
  std::string out =
      "Knobs (in YAML: the section, then the key indented below it; on the command line: --set "
      "section.key=value):\n";
  for (const Knob& knob : knobs()) {
    out +=
        fmt::format("\n  {:<25} {:<7} default {}\n", knob.name, knob_type_name(knob.type), knob.default_yaml);
    out += fmt::format("      {}\n", knob.help);
    out += fmt::format("      allowed: {}\n", allowed_text(knob));
  }
  out += "\ndocs/surface.md explains what each knob changes and its effect on speed and quality.";
  return out;
}

} // namespace

Command add_config_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("config", "Print the effective runtime configuration, or list the knobs (--help)");
  struct Options {
    ConfigOptions config;
    bool print = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_flag("--print", opts->print, "Validate the configuration and print it as YAML");
  add_config_options(*cmd, opts->config);
  cmd->footer(knob_list());
  return {cmd, [opts, cmd] {
            if (!opts->print) {
              fmt::print("{}\n", cmd->help());
              return 0;
            }
            const std::filesystem::path file = config_path(opts->config);
            const RuntimeConfig config = load_config(file, opts->config.overrides);
            fmt::print("# effective configuration: {}", file.string());
            for (const std::string& arg : opts->config.overrides) fmt::print(" --set {}", arg);
            fmt::print("\n{}", to_yaml(config));
            return 0;
          }};
}

} // namespace lathe::cli
