// The speed summary printed after a generation (to stderr by the CLI).
#pragma once

#include <cstdio>

#include "engine/generate/generate.h"

namespace lathe {

// Prompt speed, time to first token, decode speed per token, and why it stopped.
void print_generation_report(std::FILE* out, const GenerateResult& r, int n_threads);

} // namespace lathe
