// `lathe bench` output in llama-bench's formats: a markdown table (so the two
// tables sit side by side), CSV, or JSON with the raw samples. Every record
// carries the commit, the CPU and the ISA.
#pragma once

#include <cstdio>
#include <vector>

#include "engine/bench/bench_record.h"
#include "engine/bench/bench_spec.h"

namespace lathe::bench {

// Below this share of its threads' CPU time a test ran on a busy machine,
// and the markdown output says its speed is not to be trusted.
inline constexpr double kTrustedCpuShare = 0.9;

struct BenchReport {
  HostInfo host;
  ModelInfo model;
  std::vector<BenchRecord> records;
};

// The markdown table: model | size | params | backend | threads | test | t/s
// (mean ± sd) | weights GB/s (generation tests), then the build line, the
// threading overhead of each multi-threaded generation test, and a warning for
// each test that got less than kTrustedCpuShare of its CPU time.
void print_markdown(std::FILE* out, const BenchReport& report);
// One JSON array of records with llama-bench's field names where they exist.
void print_json(std::FILE* out, const BenchReport& report);
// A header and one row per record (no raw samples).
void print_csv(std::FILE* out, const BenchReport& report);

void print_report(std::FILE* out, const BenchReport& report, OutputFormat format);

} // namespace lathe::bench
