// The bad-input catalogue (docs/errors.md), results rows: appending to
// results.tsv where it cannot be written, when the disk fills up in the middle
// of the row, and when evaluations are killed while they append. A row is all
// there or not there at all, the file stays well-formed, and the outcome says
// what went wrong (lathe-eval then prints it and exits 2). Concurrent appends
// and damaged files are the harness's own tests (tests/harness/).
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gguf/gguf_writer.h"
#include "harness/eval/results_tsv.h"

namespace lathe::harness {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// One row: every field "<tag>.<column index>", padded to `width` characters.
std::vector<std::string> row(const std::string& tag, size_t width = 0) {
  std::vector<std::string> fields;
  for (size_t i = 0; i < results_columns().size(); ++i) {
    std::string f = fmt::format("{}.{}", tag, i);
    if (f.size() < width) f.append(width - f.size(), 'x');
    fields.push_back(std::move(f));
  }
  return fields;
}

std::string slurp(const fs::path& p) {
  std::ostringstream s;
  s << std::ifstream(p, std::ios::binary).rdbuf();
  return s.str();
}

class ResultsTsvFailureTest : public ::testing::Test {
 protected:
  fs::path file() const { return dir_.path() / "results.tsv"; }
  gguf::testing::TestDir dir_;
};

TEST_F(ResultsTsvFailureTest, DirectoryThatDoesNotExist) {
  const fs::path path = dir_.path() / "no-such-dir" / "results.tsv";
  const AppendOutcome a = append_result_row(path, row("a"));
  EXPECT_FALSE(a.appended);
  EXPECT_THAT(a.problem, AllOf(HasSubstr(fmt::format("cannot open {}", path.string())),
                               HasSubstr("No such file or directory")));
}

TEST_F(ResultsTsvFailureTest, DirectoryThatIsAFile) {
  std::ofstream(dir_.path() / "plain") << "x";
  const AppendOutcome a = append_result_row(dir_.path() / "plain" / "results.tsv", row("a"));
  EXPECT_FALSE(a.appended);
  EXPECT_THAT(a.problem, HasSubstr("Not a directory"));
}

TEST_F(ResultsTsvFailureTest, DirectoryWithoutWritePermission) {
  const fs::path locked = dir_.path() / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  const bool writable = ::access(locked.c_str(), W_OK) == 0;
  const AppendOutcome a = append_result_row(locked / "results.tsv", row("a"));
  fs::permissions(locked, fs::perms::owner_all);
  if (writable) GTEST_SKIP() << "running with the privilege to write into a mode-555 directory";
  EXPECT_FALSE(a.appended);
  EXPECT_THAT(a.problem, HasSubstr("Permission denied"));
}

// Even root cannot create a file in /proc: an unwritable file system.
TEST_F(ResultsTsvFailureTest, FileSystemThatTakesNoFiles) {
  const AppendOutcome a = append_result_row("/proc/lathe-results.tsv", row("a"));
  EXPECT_FALSE(a.appended);
  EXPECT_THAT(a.problem, HasSubstr("cannot open /proc/lathe-results.tsv"));
}

// /dev/full fails every write with ENOSPC.
TEST_F(ResultsTsvFailureTest, FullDisk) {
  const AppendOutcome a = append_result_row("/dev/full", row("a"));
  EXPECT_FALSE(a.appended);
  EXPECT_THAT(a.problem, AllOf(HasSubstr("/dev/full"), HasSubstr("No space left on device")));
}

// The disk fills up in the middle of the row: a child process may write only
// 20 more bytes (RLIMIT_FSIZE, the way a full disk truncates a write). The
// append fails saying so, and the file is exactly as it was.
TEST_F(ResultsTsvFailureTest, DiskFullInTheMiddleOfTheRow) {
  ASSERT_TRUE(append_result_row(file(), row("first")).appended);
  const std::string before = slurp(file());
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::signal(SIGXFSZ, SIG_IGN); // a write past the limit returns short instead of killing
    const rlimit limit{static_cast<rlim_t>(before.size() + 20), static_cast<rlim_t>(before.size() + 20)};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const AppendOutcome a = append_result_row(file(), row("second", 40));
    const std::string report = fmt::format("{}\n{}", a.appended ? "appended" : "failed", a.problem);
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_THAT(report, AllOf(HasSubstr("failed\n"), HasSubstr(file().string())));
  EXPECT_EQ(slurp(file()), before) << "a partial row was left behind";
  EXPECT_EQ(check_results_text(slurp(file()), results_columns()), "");
  EXPECT_EQ(read_result_rows(file()).size(), 1u);
}

// Evaluations killed at random moments while they append, over and over:
// every row in the file is whole, and the file stays readable.
TEST_F(ResultsTsvFailureTest, APartialRowOfAKilledWriterIsRemovedByTheNextAppend) {
  ASSERT_TRUE(append_result_row(file(), row("whole", 10)).appended);
  const std::string whole = slurp(file());
  // What a writer killed between two pages of its write() leaves: a row's start, no newline.
  std::string cut = whole.substr(whole.find('\n') + 1);
  cut = cut.substr(0, cut.size() / 2);
  ASSERT_LT(std::count(cut.begin(), cut.end(), '\t') + 1, static_cast<std::ptrdiff_t>(results_columns().size()));
  {
    std::ofstream out(file(), std::ios::app | std::ios::binary);
    out << cut;
  }
  const AppendOutcome a = append_result_row(file(), row("next", 10));
  EXPECT_TRUE(a.appended) << a.problem;
  EXPECT_TRUE(a.repaired_partial_row);
  const std::string text = slurp(file());
  EXPECT_EQ(check_results_text(text, results_columns()), "");
  EXPECT_EQ(read_result_rows(file()).size(), 2u);
  EXPECT_EQ(text.substr(0, whole.size()), whole) << "the whole row before the cut one must stay as it was";
  // A file that ends in a whole row is not touched.
  EXPECT_FALSE(append_result_row(file(), row("third", 10)).repaired_partial_row);
}

TEST_F(ResultsTsvFailureTest, EvaluationsKilledWhileAppendingLeaveNoPartialRow) {
  std::mt19937 rng(5);
  for (int round = 0; round < 12; ++round) {
    std::vector<pid_t> children;
    for (int c = 0; c < 3; ++c) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        for (int i = 0;; ++i) append_result_row(file(), row(fmt::format("r{}c{}", round, c), 200));
      }
      children.push_back(pid);
    }
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(200, 20000)(rng)));
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  }
  const std::string text = slurp(file());
  EXPECT_EQ(check_results_text(text, results_columns()), "");
  const auto rows = read_result_rows(file());
  EXPECT_GT(rows.size(), 0u);
  for (const auto& r : rows) {
    for (size_t i = 0; i < results_columns().size(); ++i) {
      const std::string& field = r.at(std::string(results_columns()[i]));
      ASSERT_EQ(field.size(), 200u) << "a cut field: " << field;
      EXPECT_NE(field.find(fmt::format(".{}", i)), std::string::npos) << field;
    }
  }
}

} // namespace
} // namespace lathe::harness
