// Summary statistics across runs: exact values on small hand-made samples.
#include "harness/eval/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace lathe::harness {
namespace {

TEST(Summarize, EmptyIsAllZero) {
  const Summary s = summarize({});
  EXPECT_EQ(s.n, 0);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.cv, 0.0);
}

TEST(Summarize, OddCountMedianIsTheMiddleValue) {
  const std::vector<double> v = {5.0, 1.0, 3.0};
  const Summary s = summarize(v);
  EXPECT_EQ(s.median, 3.0);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 5.0);
  EXPECT_EQ(s.mean, 3.0);
}

TEST(Summarize, EvenCountMedianIsTheMeanOfTheMiddleTwo) {
  const std::vector<double> v = {4.0, 1.0, 2.0, 10.0};
  EXPECT_EQ(summarize(v).median, 3.0);
}

TEST(Summarize, SampleStandardDeviationAndCv) {
  // mean 5, squared deviations 9 + 1 + 1 + 9 = 20, sample variance 20 / 3.
  const std::vector<double> v = {2.0, 4.0, 6.0, 8.0};
  const Summary s = summarize(v);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(20.0 / 3.0));
  EXPECT_DOUBLE_EQ(s.cv, std::sqrt(20.0 / 3.0) / 5.0);
}

TEST(Summarize, ConstantRunsHaveZeroSpread) {
  const std::vector<double> v = {41.2, 41.2, 41.2};
  const Summary s = summarize(v);
  EXPECT_EQ(s.stddev, 0.0);
  EXPECT_EQ(s.cv, 0.0);
}

TEST(Summarize, SingleValueHasNoSpread) {
  const std::vector<double> v = {7.5};
  const Summary s = summarize(v);
  EXPECT_EQ(s.median, 7.5);
  EXPECT_EQ(s.stddev, 0.0);
}

} // namespace
} // namespace lathe::harness
