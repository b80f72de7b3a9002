// What `lathe bench` measures: the tests (ppN: a prompt of N tokens, tgN: N
// tokens generated one at a time, each from an empty cache, as llama-bench
// defines them), at each thread count, repeated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::bench {

enum class OutputFormat { kMarkdown, kJson, kCsv };

struct BenchCase {
  int64_t n_prompt = 0; // > 0 for a prompt-processing test
  int64_t n_gen = 0;    // > 0 for a generation test (exactly one of the two is set)
  int threads = 1;      // as given: 0 = one per core

  std::string name() const; // "pp512" or "tg128"
  int64_t n_tokens() const { return n_prompt + n_gen; }
};

// The comma-separated list `text` of a flag ("512,1024"), each value an
// integer in [min, max]. Throws std::invalid_argument naming the flag, the
// value and what is allowed.
std::vector<int64_t> parse_int_list(std::string_view flag, std::string_view text, int64_t min, int64_t max);

// "md" | "json" | "csv". Throws std::invalid_argument otherwise.
OutputFormat parse_output_format(std::string_view text);

// Every (threads, test) pair in llama-bench's order: for each thread count,
// the prompt tests, then the generation tests; sizes of 0 are left out.
// Throws std::invalid_argument when that leaves nothing to measure.
std::vector<BenchCase> expand_cases(const std::vector<int64_t>& n_prompt, const std::vector<int64_t>& n_gen,
                                    const std::vector<int64_t>& threads);

} // namespace lathe::bench
