#include "engine/bench/bench_record.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>

#include "engine/bench/build_info.h"
#include "engine/model/model_summary.h"
#include "kernels/isa_config.h"

namespace lathe::bench {
namespace {

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Sample standard deviation (n - 1), 0 for fewer than two samples: llama-bench's.
double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double sum = 0.0;
  for (const double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / static_cast<double>(v.size() - 1));
}

std::vector<double> as_doubles(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

// llama.cpp's names of general.file_type (enum llama_ftype) for the common files.
std::string file_type_name(uint32_t t) {
  switch (t) {
    case 0: return "all F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K - Medium";
    case 11: return "Q3_K - Small";
    case 12: return "Q3_K - Medium";
    case 13: return "Q3_K - Large";
    case 14: return "Q4_K - Small";
    case 15: return "Q4_K - Medium";
    case 16: return "Q5_K - Small";
    case 17: return "Q5_K - Medium";
    case 18: return "Q6_K";
    default: return fmt::format("file type {}", t);
  }
}

std::string params_label(int64_t n) {
  const double p = static_cast<double>(n);
  return p < 1e9 ? fmt::format("{:.0f}M", p / 1e6) : fmt::format("{:.1f}B", p / 1e9);
}

int64_t view_bytes(const WeightView& w) { return w.present() ? w.rows * w.row_bytes : 0; }

int64_t decode_weight_bytes(const ModelWeights& w) {
  int64_t total = view_bytes(w.output_norm) + view_bytes(w.output);
  if (w.token_embd.data != w.output.data) total += w.token_embd.row_bytes; // looked up, not multiplied
  for (const LayerWeights& l : w.layers) {
    for (const WeightView* v : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.bq, &l.bk, &l.bv, &l.wo, &l.ffn_norm,
                                &l.w_gate, &l.w_up, &l.w_down}) {
      total += view_bytes(*v);
    }
  }
  return total;
}

} // namespace

HostInfo host_info() {
  HostInfo h;
  h.commit = LATHE_BUILD_COMMIT;
  h.isa = std::string(kernels::kIsaName);
  if (const char* policy = std::getenv("OMP_WAIT_POLICY")) h.omp_wait_policy = policy;
  h.cpu = "unknown CPU";
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      h.cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  return h;
}

ModelInfo model_info(const Model& model, const std::string& filename) {
  const ModelSummary s = summarize_model(model.file());
  ModelInfo m;
  m.filename = filename;
  m.type = fmt::format("{} {} {}", model.config().architecture, params_label(s.n_params),
                       file_type_name(model.file().get_or<uint32_t>("general.file_type", 0)));
  m.size = s.tensor_bytes;
  m.n_params = s.n_params;
  m.weight_bytes_per_token = decode_weight_bytes(model.weights());
  return m;
}

std::vector<double> BenchRecord::samples_ts() const {
  std::vector<double> ts;
  for (const int64_t ns : result.samples_ns) ts.push_back(1e9 * static_cast<double>(result.test.n_tokens()) / static_cast<double>(ns));
  return ts;
}

double BenchRecord::avg_ns() const { return mean(as_doubles(result.samples_ns)); }
double BenchRecord::stddev_ns() const { return stddev(as_doubles(result.samples_ns)); }
double BenchRecord::avg_ts() const { return mean(samples_ts()); }
double BenchRecord::stddev_ts() const { return stddev(samples_ts()); }

double BenchRecord::weight_gbps(const ModelInfo& model) const {
  if (result.test.n_gen == 0) return 0.0;
  return static_cast<double>(model.weight_bytes_per_token) * avg_ts() / 1e9;
}

} // namespace lathe::bench
