// `lathe bench` from the command line on the decoder tests' tiny model: bad
// flags and knob values are clear errors before anything runs, and the
// markdown, CSV and JSON outputs have llama-bench's shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/run_lathe.h"
#include "engine/runtime/thread_pin.h"
#include "kernels/kernel_table.h"
#include "reliability/chat_model.h"

namespace lathe::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class BenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override { model_ = dir_.write("tiny.gguf", chat_model_writer(make_chat_model()).build()).string(); }

  LatheRun bench(std::vector<std::string> args) {
    args.insert(args.begin(), {"bench", "-m", model_});
    return run_lathe(args);
  }
  static void expect_error(const LatheRun& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, AllOf(StartsWith("lathe: error: "), HasSubstr(what)));
    EXPECT_EQ(r.out, "") << "nothing is measured after a bad argument";
  }

  gguf::testing::TestDir dir_;
  std::string model_;
};

TEST_F(BenchCliTest, HelpNamesEveryFlag) {
  const LatheRun r = run_lathe({"bench", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--n-prompt", "--n-gen", "--threads", "--repetitions", "--no-warmup", "--output",
                           "--config", "--set", "weights GB/s"}) {
    EXPECT_THAT(r.out, HasSubstr(flag));
  }
}

TEST_F(BenchCliTest, BadFlagValues) {
  expect_error(bench({"-p", "abc"}), "-p/--n-prompt abc: 'abc' is not an integer in [0, 1048576]");
  expect_error(bench({"-n", "8,-1"}), "-n/--n-gen 8,-1: '-1' is not an integer");
  expect_error(bench({"-t", "1,x"}), "-t/--threads 1,x: 'x' is not an integer in [0, 256]");
  expect_error(bench({"-t", "300"}), "'300' is not an integer in [0, 256]");
  expect_error(bench({"-r", "0"}), "-r/--repetitions 0: expected an integer in [1, 1000]");
  expect_error(bench({"-o", "xml"}), "--output xml: unknown format (allowed: md, json, csv)");
  expect_error(bench({"-p", "0", "-n", "0"}), "nothing to measure");
}

TEST_F(BenchCliTest, BadKnobValues) {
  expect_error(bench({"--set", "threads.count=-3"}), "threads.count: -3 is out of range");
  const kernels::LinearKernels* q5_0 = kernels::active_kernels().linear(kernels::QuantType::Q5_0);
  if (q5_0 && q5_0->repacked.matvec) {
    // this build's kernels offer a layout: the command repacks what it can
    const LatheRun r = bench({"--set", "kernels.matvec_layout=repacked", "-p", "4", "-n", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  } else {
    expect_error(bench({"--set", "kernels.matvec_layout=repacked", "-p", "4", "-n", "0"}),
                 "kernels.matvec_layout: repacked is not available: no kernel of this build");
  }
  expect_error(bench({"--set", "context.length=16", "--set", "prefill.chunk_size=8", "-p", "24", "-n", "0"}),
               "context.length 16 cannot hold the largest test (24 tokens)");
  const std::string too_many = std::to_string(allowed_cpus().size() + 1);
  expect_error(bench({"--set", "threads.pin=true", "-t", too_many, "-p", "4", "-n", "0"}),
               "threads.pin: " + too_many + " threads cannot each have a CPU of their own");
}

TEST_F(BenchCliTest, MissingModel) {
  const LatheRun r = run_lathe({"bench", "-m", (dir_.path() / "nowhere.gguf").string(), "-p", "4", "-n", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("nowhere.gguf"), HasSubstr("cannot open")));
}

TEST_F(BenchCliTest, MarkdownTableLikeLlamaBench) {
  const LatheRun r = bench({"-p", "8", "-n", "4", "-r", "2", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| model "));
  EXPECT_THAT(r.out, HasSubstr(" t/s | weights GB/s |"));
  EXPECT_THAT(r.out, HasSubstr("|      pp8 |"));
  EXPECT_THAT(r.out, HasSubstr("|      tg4 |"));
  EXPECT_THAT(r.out, HasSubstr(" ± "));
  EXPECT_THAT(r.out, HasSubstr("build: "));
}

TEST_F(BenchCliTest, CsvHasOneRowPerTest) {
  const LatheRun r = bench({"-p", "4,8", "-n", "2", "-r", "1", "-t", "1", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("build_commit,cpu_info,isa,"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out; // header + pp4, pp8, tg2
}

TEST_F(BenchCliTest, PinnedTwoThreadsCountTheirRegions) {
  if (allowed_cpus().size() < 2) GTEST_SKIP() << "this machine lets the process run on one CPU only";
  const LatheRun r = bench({"-p", "0", "-n", "4", "-r", "1", "-t", "2", "--set", "threads.pin=true", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["n_threads"], 2);
  EXPECT_EQ(j[0]["threads_pinned"], true);
  // One layer: q, k, v, attention, o, gate, up, down, then the output matrix.
  EXPECT_DOUBLE_EQ(j[0]["parallel_regions_per_token"].get<double>(), 9.0);
  EXPECT_GT(j[0]["empty_region_ns"].get<double>(), 0.0);
}

} // namespace
} // namespace lathe::testing
