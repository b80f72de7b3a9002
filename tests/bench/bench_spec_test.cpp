// lathe bench's pieces without a model: the flag lists, the test order and
// llama-bench's statistics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "engine/bench/bench_record.h"
#include "engine/bench/bench_spec.h"

namespace lathe::bench {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string error_of(std::string_view text) {
  try {
    parse_int_list("-p/--n-prompt", text, 0, 100);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(BenchSpec, ParsesCommaLists) {
  EXPECT_THAT(parse_int_list("-t", "1,2,16", 0, 256), ElementsAre(1, 2, 16));
  EXPECT_THAT(parse_int_list("-p", "0", 0, 10), ElementsAre(0));
}

TEST(BenchSpec, RejectsBadListsNamingFlagAndItem) {
  EXPECT_THAT(error_of("abc"), AllOf(HasSubstr("-p/--n-prompt abc"), HasSubstr("'abc' is not an integer in [0, 100]")));
  EXPECT_THAT(error_of("1,,2"), HasSubstr("'' is not an integer"));
  EXPECT_THAT(error_of("1,"), HasSubstr("'' is not an integer"));
  EXPECT_THAT(error_of(""), HasSubstr("'' is not an integer"));
  EXPECT_THAT(error_of("-1"), HasSubstr("'-1' is not an integer in [0, 100]"));
  EXPECT_THAT(error_of("101"), HasSubstr("'101'"));
  EXPECT_THAT(error_of("12x"), HasSubstr("'12x'"));
  EXPECT_THAT(error_of("1.5"), HasSubstr("'1.5'"));
}

TEST(BenchSpec, OutputFormats) {
  EXPECT_EQ(parse_output_format("md"), OutputFormat::kMarkdown);
  EXPECT_EQ(parse_output_format("json"), OutputFormat::kJson);
  EXPECT_EQ(parse_output_format("csv"), OutputFormat::kCsv);
  EXPECT_THROW(parse_output_format("xml"), std::invalid_argument);
}

TEST(BenchSpec, CasesInLlamaBenchOrderWithoutZeroSizes) {
  const std::vector<BenchCase> cases = expand_cases({512, 0}, {128}, {1, 2});
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].name(), "pp512");
  EXPECT_EQ(cases[0].threads, 1);
  EXPECT_EQ(cases[1].name(), "tg128");
  EXPECT_EQ(cases[1].threads, 1);
  EXPECT_EQ(cases[2].name(), "pp512");
  EXPECT_EQ(cases[2].threads, 2);
  EXPECT_EQ(cases[3].n_tokens(), 128);
  EXPECT_THROW(expand_cases({0}, {0}, {1}), std::invalid_argument);
}

TEST(BenchRecord, MeanAndSampleStandardDeviationOfTokensPerSecond) {
  BenchRecord rec;
  rec.result.test = {.n_prompt = 0, .n_gen = 10, .threads = 1};
  rec.result.samples_ns = {1'000'000'000, 500'000'000}; // 10 and 20 t/s
  EXPECT_THAT(rec.samples_ts(), ElementsAre(10.0, 20.0));
  EXPECT_DOUBLE_EQ(rec.avg_ts(), 15.0);
  EXPECT_DOUBLE_EQ(rec.stddev_ts(), std::sqrt(50.0)); // ((5^2 + 5^2) / (2 - 1))^0.5
  EXPECT_DOUBLE_EQ(rec.avg_ns(), 750'000'000.0);
  ModelInfo m;
  m.weight_bytes_per_token = 2'000'000'000;
  EXPECT_DOUBLE_EQ(rec.weight_gbps(m), 30.0); // 2 GB per token x 15 t/s
  rec.result.test = {.n_prompt = 10, .n_gen = 0, .threads = 1};
  EXPECT_EQ(rec.weight_gbps(m), 0.0) << "prompt tests read each weight once per chunk, not per token";
  rec.result.samples_ns = {1'000};
  EXPECT_EQ(rec.stddev_ts(), 0.0) << "one sample has no spread";
}

} // namespace
} // namespace lathe::bench
