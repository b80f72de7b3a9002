// `lathe bench -o json` on SmolLM2 with tiny sizes: one record per test with
// llama-bench's fields, the raw samples, and the commit, CPU and ISA.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <numeric>

#include "bench/run_lathe.h"
#include "kernels/isa_config.h"
#include "runtime/test_models.h"

namespace lathe::testing {
namespace {

TEST(BenchJson, RecordsOnSmolLm2) {
  const auto model = require_model(kSmolLm2);
  if (!model) return;
  const LatheRun r = run_lathe({"bench", "-m", model->string(), "-p", "16", "-n", "4", "-r", "3", "-t", "1", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  for (const auto& rec : j) {
    EXPECT_FALSE(rec["build_commit"].get<std::string>().empty());
    EXPECT_FALSE(rec["cpu_info"].get<std::string>().empty());
    EXPECT_EQ(rec["isa"], std::string(kernels::kIsaName));
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    EXPECT_EQ(rec["omp_wait_policy"], policy ? policy : "");
    EXPECT_EQ(rec["model_filename"], model->string());
    EXPECT_EQ(rec["model_type"], "llama 135M Q4_1");
    EXPECT_EQ(rec["model_n_params"], 134515008);
    EXPECT_EQ(rec["n_threads"], 1);
    EXPECT_EQ(rec["threads_pinned"], false);
    ASSERT_EQ(rec["samples_ns"].size(), 3u);
    ASSERT_EQ(rec["samples_ts"].size(), 3u);
    const int64_t n_tokens = rec["n_prompt"].get<int64_t>() + rec["n_gen"].get<int64_t>();
    double sum = 0;
    for (size_t i = 0; i < 3; ++i) {
      const double ts = rec["samples_ts"][i].get<double>();
      EXPECT_GT(rec["samples_ns"][i].get<int64_t>(), 0);
      EXPECT_NEAR(ts, 1e9 * static_cast<double>(n_tokens) / rec["samples_ns"][i].get<double>(), 1e-9 * ts);
      sum += ts;
    }
    EXPECT_NEAR(rec["avg_ts"].get<double>(), sum / 3, 1e-9 * sum);
    EXPECT_GE(rec["stddev_ts"].get<double>(), 0.0);
    EXPECT_NE(rec["config"].get<std::string>().find("threads:"), std::string::npos);
  }
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[0]["n_prompt"], 16);
  EXPECT_EQ(j[0]["n_gen"], 0);
  EXPECT_EQ(j[0]["weight_gbps"], 0.0);
  EXPECT_EQ(j[1]["test"], "tg4");
  EXPECT_EQ(j[1]["n_gen"], 4);
  // SmolLM2's output matrix is its token embedding (tied), so a decoded token
  // reads every tensor of the file exactly once.
  EXPECT_EQ(j[1]["weight_bytes_per_token"], j[1]["model_size"]);
  EXPECT_NEAR(j[1]["weight_gbps"].get<double>(),
              j[1]["weight_bytes_per_token"].get<double>() * j[1]["avg_ts"].get<double>() / 1e9, 1e-6);
}

} // namespace
} // namespace lathe::testing
