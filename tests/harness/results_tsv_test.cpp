// results.tsv: rows are appended whole, concurrently written rows never
// interleave, and a damaged file is reported and left byte for byte as it was.
#include "harness/eval/results_tsv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lathe::harness {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 3> kColumns = {"experiment", "metric", "description"};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ResultsTsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = fs::temp_directory_path() / ("lathe-results-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".tsv");
    fs::remove(file_);
  }
  void TearDown() override { fs::remove(file_); }

  AppendOutcome append(std::vector<std::string> fields) { return append_result_row(file_, fields, kColumns); }

  fs::path file_;
};

TEST_F(ResultsTsvTest, TheFirstRowBringsTheHeader) {
  ASSERT_TRUE(append({"base", "41.20", "the baseline"}).appended);
  ASSERT_TRUE(append({"try1", "42.00", "more threads"}).appended);
  EXPECT_EQ(read(file_), "experiment\tmetric\tdescription\nbase\t41.20\tthe baseline\ntry1\t42.00\tmore threads\n");
  const auto rows = read_result_rows(file_, kColumns);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].at("description"), "more threads");
}

TEST_F(ResultsTsvTest, TabsAndNewlinesInFieldsCannotBreakTheTable) {
  ASSERT_TRUE(append({"a\tb", "1", "line one\nline two\r"}).appended);
  EXPECT_EQ(check_results_text(read(file_), kColumns), "");
  EXPECT_EQ(read_result_rows(file_, kColumns)[0].at("experiment"), "a b");
}

TEST_F(ResultsTsvTest, AnUnfinishedLastLineIsReportedAndNotTouched) {
  const std::string damaged = "experiment\tmetric\tdescription\nbase\t41.20\tthe base";
  std::ofstream(file_, std::ios::binary) << damaged;
  const AppendOutcome r = append({"try", "1", "x"});
  EXPECT_FALSE(r.appended);
  EXPECT_NE(r.problem.find("damaged"), std::string::npos);
  EXPECT_NE(r.problem.find("unfinished"), std::string::npos);
  EXPECT_EQ(read(file_), damaged);
}

TEST_F(ResultsTsvTest, AWrongHeaderIsReportedAndNotTouched) {
  const std::string other = "commit\tval_bpb\tstatus\ta1b2c3\t0.99\tkeep\n";
  std::ofstream(file_, std::ios::binary) << other;
  const AppendOutcome r = append({"try", "1", "x"});
  EXPECT_FALSE(r.appended);
  EXPECT_NE(r.problem.find("header"), std::string::npos);
  EXPECT_EQ(read(file_), other);
}

TEST_F(ResultsTsvTest, ARowWithTheWrongFieldCountIsReportedByLine) {
  const std::string bad = "experiment\tmetric\tdescription\nbase\t41.20\tok\nbroken\t1\n";
  std::ofstream(file_, std::ios::binary) << bad;
  const AppendOutcome r = append({"try", "1", "x"});
  EXPECT_FALSE(r.appended);
  EXPECT_NE(r.problem.find("line 3"), std::string::npos);
  EXPECT_EQ(read(file_), bad);
  EXPECT_THROW(read_result_rows(file_, kColumns), std::runtime_error);
}

TEST_F(ResultsTsvTest, AnEmptyFileGetsTheHeader) {
  std::ofstream(file_, std::ios::binary).flush();
  ASSERT_TRUE(append({"a", "1", "x"}).appended);
  EXPECT_EQ(read_result_rows(file_, kColumns).size(), 1u);
}

TEST_F(ResultsTsvTest, ConcurrentAppendsFromManyProcessesStayWhole) {
  constexpr int kProcesses = 6, kRows = 40;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // A long description makes a torn write visible.
      const std::string description(3000, static_cast<char>('a' + p));
      int failures = 0;
      for (int i = 0; i < kRows; ++i) {
        const std::vector<std::string> row = {fmt::format("p{}", p), std::to_string(i), description};
        failures += !append_result_row(file_, row, kColumns).appended;
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto rows = read_result_rows(file_, kColumns);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kProcesses * kRows));
  for (const auto& row : rows) {
    const char c = static_cast<char>('a' + (row.at("experiment")[1] - '0'));
    EXPECT_EQ(row.at("description"), std::string(3000, c));
  }
}

TEST(ResultsColumns, StartWithIdentityAndEndWithStatusAndDescription) {
  const auto c = results_columns();
  EXPECT_EQ(c[0], "experiment");
  EXPECT_EQ(c[1], "commit");
  EXPECT_EQ(c[c.size() - 2], "status");
  EXPECT_EQ(c[c.size() - 1], "description");
}

} // namespace
} // namespace lathe::harness
