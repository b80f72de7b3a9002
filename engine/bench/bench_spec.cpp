#include "engine/bench/bench_spec.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace lathe::bench {

std::string BenchCase::name() const {
  return n_prompt > 0 ? fmt::format("pp{}", n_prompt) : fmt::format("tg{}", n_gen);
}

std::vector<int64_t> parse_int_list(std::string_view flag, std::string_view text, int64_t min, int64_t max) {
  const auto bad = [&](std::string_view item) {
    return std::invalid_argument(fmt::format("{} {}: '{}' is not an integer in [{}, {}] (expected a comma-separated "
                                             "list such as 512,1024)",
                                             flag, text, item, min, max));
  };
  std::vector<int64_t> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v < min || v > max) throw bad(item);
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

OutputFormat parse_output_format(std::string_view text) {
  if (text == "md") return OutputFormat::kMarkdown;
  if (text == "json") return OutputFormat::kJson;
  if (text == "csv") return OutputFormat::kCsv;
  throw std::invalid_argument(fmt::format("--output {}: unknown format (allowed: md, json, csv)", text));
}

std::vector<BenchCase> expand_cases(const std::vector<int64_t>& n_prompt, const std::vector<int64_t>& n_gen,
                                    const std::vector<int64_t>& threads) {
  std::vector<BenchCase> out;
  for (const int64_t t : threads) {
    for (const int64_t p : n_prompt) {
      if (p > 0) out.push_back({.n_prompt = p, .n_gen = 0, .threads = static_cast<int>(t)});
    }
    for (const int64_t g : n_gen) {
      if (g > 0) out.push_back({.n_prompt = 0, .n_gen = g, .threads = static_cast<int>(t)});
    }
  }
  if (out.empty()) throw std::invalid_argument("nothing to measure: every -p and -n size is 0");
  return out;
}

} // namespace lathe::bench
