// --config FILE and --set key=value, the same on every command that runs the
// engine: add_config_options() registers them, load_runtime_config() reads the
// configuration they describe (configs/engine.yaml when --config is absent).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "engine/config/config.h"

namespace lathe::cli {

struct ConfigOptions {
  std::string file;                   // --config; empty = default_config_path()
  std::vector<std::string> overrides; // --set, in command-line order
};

void add_config_options(CLI::App& cmd, ConfigOptions& options);

// The file to read: --config, else default_config_path().
std::filesystem::path config_path(const ConfigOptions& options);

// Throws ConfigError when the configuration does not validate.
RuntimeConfig load_runtime_config(const ConfigOptions& options);

} // namespace lathe::cli
