#include "engine/bench/bench_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace lathe::bench {
namespace {

std::string size_text(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  return b < 1024.0 * 1024 * 1024 ? fmt::format("{:.2f} MiB", b / (1024.0 * 1024))
                                   : fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
}

std::string params_text(int64_t n) {
  const double p = static_cast<double>(n);
  return p < 1e9 ? fmt::format("{:.2f} M", p / 1e6) : fmt::format("{:.2f} B", p / 1e9);
}

std::string backend_text(const BenchReport& r) { return fmt::format("CPU {}", r.host.isa); }

std::string threads_text(const BenchRecord& rec) {
  return rec.threads_pinned ? fmt::format("{} pinned", rec.result.n_threads) : fmt::format("{}", rec.result.n_threads);
}

} // namespace

void print_markdown(std::FILE* out, const BenchReport& r) {
  fmt::print(out, "| {:<30} | {:>10} | {:>10} | {:<10} | {:>7} | {:>8} | {:>20} | {:>12} |\n", "model", "size",
             "params", "backend", "threads", "test", "t/s", "weights GB/s");
  fmt::print(out, "| {:-<30} | {:->9}: | {:->9}: | {:-<10} | {:->6}: | {:->7}: | {:->19}: | {:->11}: |\n", "", "", "", "",
             "", "", "", "");
  for (const BenchRecord& rec : r.records) {
    const std::string gbps = rec.result.test.n_gen > 0 ? fmt::format("{:.2f}", rec.weight_gbps(r.model)) : "";
    fmt::print(out, "| {:<30} | {:>10} | {:>10} | {:<10} | {:>7} | {:>8} | {:>20} | {:>12} |\n", r.model.type,
               size_text(r.model.size), params_text(r.model.n_params), backend_text(r), threads_text(rec),
               rec.result.test.name(), fmt::format("{:.2f} ± {:.2f}", rec.avg_ts(), rec.stddev_ts()), gbps);
  }
  fmt::print(out, "\nbuild: {} ({}, kernels {}, OMP_WAIT_POLICY {})\n", r.host.commit, r.host.cpu, r.host.isa,
             r.host.omp_wait_policy.empty() ? "unset" : r.host.omp_wait_policy);
  for (const BenchRecord& rec : r.records) {
    if (rec.result.test.n_gen == 0 || rec.result.n_threads < 2) continue;
    const double token_ns = rec.avg_ns() / static_cast<double>(rec.result.test.n_gen);
    fmt::print(out,
               "threading overhead, {} at {} threads: {:.0f} parallel regions per token x {:.2f} us per empty region "
               "= {:.0f} us per token ({:.1f}% of {:.0f} us), a lower bound\n",
               rec.result.test.name(), rec.result.n_threads, rec.result.regions_per_token, rec.empty_region_ns / 1e3,
               rec.threading_overhead_ns() / 1e3, 100.0 * rec.threading_overhead_ns() / token_ns, token_ns / 1e3);
  }
  for (const BenchRecord& rec : r.records) {
    if (rec.result.cpu_share >= kTrustedCpuShare) continue;
    fmt::print(out,
               "warning: {} at {} threads got {:.0f}% of its threads' CPU time: the machine was busy, this speed is "
               "not trustworthy\n",
               rec.result.test.name(), rec.result.n_threads, 100.0 * rec.result.cpu_share);
  }
}

void print_json(std::FILE* out, const BenchReport& r) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const BenchRecord& rec : r.records) {
    nlohmann::ordered_json j;
    j["build_commit"] = r.host.commit;
    j["cpu_info"] = r.host.cpu;
    j["isa"] = r.host.isa;
    j["omp_wait_policy"] = r.host.omp_wait_policy;
    j["backends"] = "CPU";
    j["model_filename"] = r.model.filename;
    j["model_type"] = r.model.type;
    j["model_size"] = r.model.size;
    j["model_n_params"] = r.model.n_params;
    j["n_threads"] = rec.result.n_threads;
    j["threads_pinned"] = rec.threads_pinned;
    j["n_prompt"] = rec.result.test.n_prompt;
    j["n_gen"] = rec.result.test.n_gen;
    j["test"] = rec.result.test.name();
    j["test_time"] = rec.result.test_time;
    j["avg_ns"] = rec.avg_ns();
    j["stddev_ns"] = rec.stddev_ns();
    j["avg_ts"] = rec.avg_ts();
    j["stddev_ts"] = rec.stddev_ts();
    j["samples_ns"] = rec.result.samples_ns;
    j["samples_ts"] = rec.samples_ts();
    j["weight_bytes_per_token"] = r.model.weight_bytes_per_token;
    j["weight_gbps"] = rec.weight_gbps(r.model);
    j["parallel_regions_per_token"] = rec.result.regions_per_token;
    j["empty_region_ns"] = rec.empty_region_ns;
    j["threading_overhead_ns_per_token"] = rec.threading_overhead_ns();
    j["cpu_share"] = rec.result.cpu_share;
    j["config"] = rec.config_yaml;
    all.push_back(std::move(j));
  }
  fmt::print(out, "{}\n", all.dump(2));
}

void print_csv(std::FILE* out, const BenchReport& r) {
  const auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  fmt::print(out,
             "build_commit,cpu_info,isa,model_filename,model_type,model_size,model_n_params,n_threads,threads_pinned,"
             "n_prompt,n_gen,test_time,avg_ns,stddev_ns,avg_ts,stddev_ts,weight_gbps,threading_overhead_ns_per_token,"
             "cpu_share\n");
  for (const BenchRecord& rec : r.records) {
    fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{},{},{:.0f},{:.0f},{:.6f},{:.6f},{:.3f},{:.0f},{:.3f}\n",
               quote(r.host.commit), quote(r.host.cpu), quote(r.host.isa), quote(r.model.filename),
               quote(r.model.type), r.model.size, r.model.n_params, rec.result.n_threads,
               rec.threads_pinned ? "true" : "false", rec.result.test.n_prompt, rec.result.test.n_gen,
               quote(rec.result.test_time), rec.avg_ns(), rec.stddev_ns(), rec.avg_ts(), rec.stddev_ts(),
               rec.weight_gbps(r.model), rec.threading_overhead_ns(), rec.result.cpu_share);
  }
}

void print_report(std::FILE* out, const BenchReport& report, OutputFormat format) {
  switch (format) {
    case OutputFormat::kMarkdown:
      print_markdown(out, report);
      return;
    case OutputFormat::kJson:
      print_json(out, report);
      return;
    case OutputFormat::kCsv:
      print_csv(out, report);
      return;
  }
}

} // namespace lathe::bench
