#include "engine/cli/config_options.h"

namespace lathe::cli {

void add_config_options(CLI::App& cmd, ConfigOptions& options) {
  cmd.add_option(
      "--config", options.file,
      "YAML configuration to use instead of configs/engine.yaml (keys it omits take their defaults)");
  cmd.add_option("--set", options.overrides,
                 "Override one knob, e.g. --set threads.count=4 (repeatable; wins over the file)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::filesystem::path config_path(const ConfigOptions& options) {
  return options.file.empty() ? default_config_path() : std::filesystem::path(options.file);
}

RuntimeConfig load_runtime_config(const ConfigOptions& options) {
  return load_config(config_path(options), options.overrides);
}

} // namespace lathe::cli
