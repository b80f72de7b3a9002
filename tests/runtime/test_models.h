// Where the integration tests find the default models: $LATHE_MODELS_DIR,
// else the build's LATHE_MODELS_DIR (models/ of the checkout). A missing
// model is a test failure that says how to fetch it, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace lathe::testing {

inline constexpr const char* kSmolLm2 = "smollm2-135m-instruct-q4_1.gguf";
inline constexpr const char* kQwen25 = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

inline std::filesystem::path models_dir() {
  if (const char* env = std::getenv("LATHE_MODELS_DIR"); env && *env) return env;
  return LATHE_DEFAULT_MODELS_DIR;
}

// The model's path, or nullopt after recording a failure naming the fix.
inline std::optional<std::filesystem::path> require_model(const std::string& file) {
  const std::filesystem::path path = models_dir() / file;
  if (std::filesystem::exists(path)) return path;
  ADD_FAILURE() << "model " << path << " is missing: run scripts/fetch-models (or point LATHE_MODELS_DIR at a "
                << "directory that holds " << file << ")";
  return std::nullopt;
}

} // namespace lathe::testing
