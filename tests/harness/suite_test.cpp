// The shipped suites load and validate, and the loader rejects what it must.
#include "harness/eval/suite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lathe::harness {
namespace {

namespace fs = std::filesystem;

const fs::path kHarness = fs::path(LATHE_TEST_DATA_DIR) / ".." / "harness";

TEST(Suite, TheShippedSuitesLoad) {
  for (const char* name : {"suite.yaml", "suite-quick.yaml"}) {
    const Suite s = load_suite(kHarness / name);
    EXPECT_EQ(s.prompts.size(), 5u) << name;
    EXPECT_GE(s.measured_runs, 3) << name;
    for (const SuitePrompt& p : s.prompts) EXPECT_FALSE(p.checks.empty()) << name << " " << p.name;
    EXPECT_EQ(s.reference_digest().size(), 64u);
  }
}

TEST(Suite, TheLongPromptHasItsDocument) {
  const Suite s = load_suite(kHarness / "suite.yaml");
  bool found = false;
  for (const SuitePrompt& p : s.prompts) {
    if (p.document_file.empty()) continue;
    found = true;
    EXPECT_EQ(p.user.find("{document}"), std::string::npos);
    EXPECT_GT(p.user.size(), 4000u);
  }
  EXPECT_TRUE(found);
}

class SuiteErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lathe-suite-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "ref.txt") << "text\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string load_error(const std::string& yaml) {
    std::ofstream(dir_ / "suite.yaml") << yaml;
    try {
      load_suite(dir_ / "suite.yaml");
    } catch (const SuiteError& e) {
      return e.what();
    }
    return "";
  }

  static std::string valid(const std::string& runs = "warmup: 1\n  measured: 3\n  max_new_tokens: 16",
                           const std::string& checks = "[{number: 4}]") {
    return "name: t\nmodel:\n  file: m.gguf\n  sha256: " + std::string(64, 'a') + "\nruns:\n  " + runs +
           "\nreference_text:\n  file: data/ref.txt\n  window: 64\nreference:\n  file: data/r.lref\n  top_k: 20\n"
           "bandwidth:\n  buffer_mib: 64\n  passes: 2\n"
           "thresholds:\n  kl_divergence_max: 0.01\n  top1_agreement_min: 0.9\n  ref_perplexity_max: 20\n"
           "  sanity_check_min: 1\ntrust:\n  generation_tps_cv_max: 0.03\n  bandwidth_share_max: 1.05\n"
           "  timer_mismatch_max: 0.02\n  cpu_share_min: 0.9\nprompts:\n  - name: p\n    kind: reasoning\n    user: 2 + 2?\n    checks: " +
           checks + "\n";
  }

  fs::path dir_;
};

TEST_F(SuiteErrors, AValidSuiteLoads) { EXPECT_EQ(load_error(valid()), ""); }

TEST_F(SuiteErrors, FewerThanThreeMeasuredRunsIsRefused) {
  EXPECT_NE(load_error(valid("warmup: 1\n  measured: 2\n  max_new_tokens: 16")).find("runs.measured"),
            std::string::npos);
}

TEST_F(SuiteErrors, UnknownKeysAndChecksAreRefused) {
  EXPECT_NE(load_error(valid() + "extra: 1\n").find("unknown key 'extra'"), std::string::npos);
  EXPECT_NE(load_error(valid("warmup: 1\n  measured: 3\n  max_new_tokens: 16", "[{looks_good: true}]"))
                .find("unknown check"),
            std::string::npos);
}

} // namespace
} // namespace lathe::harness
