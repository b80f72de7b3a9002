// harness/LOCK: a freshly written LOCK verifies, and every kind of change to
// the locked tree (edit, addition, removal, a bad LOCK line, a binary built
// from other sources) is caught and named.
#include "harness/eval/lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/eval/sha256.h"

namespace lathe::harness {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

bool mentions(const LockReport& r, const std::string& what) {
  for (const std::string& p : r.problems) {
    if (p.find(what) != std::string::npos) return true;
  }
  return false;
}

class LockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lathe-lock-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    write(dir_ / "suite.yaml", "name: full\n");
    write(dir_ / "eval" / "main.cpp", "int main() {}\n");
    write(dir_ / "data" / "reference.txt", "Some prose.\n");
    write(dir_ / "LOCK", "# comment\n" + make_lock(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(LockTest, AFreshLockVerifies) {
  const LockReport r = verify_lock(dir_);
  EXPECT_TRUE(r.intact) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.files_checked, 3);
  EXPECT_EQ(r.entries.size(), 3u);
}

TEST_F(LockTest, AModifiedFileIsCaught) {
  write(dir_ / "eval" / "main.cpp", "int main() { return 0; }\n");
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "modified: eval/main.cpp"));
}

TEST_F(LockTest, AOneByteChangeToDataIsCaught) {
  write(dir_ / "data" / "reference.txt", "Some prose!\n");
  EXPECT_TRUE(mentions(verify_lock(dir_), "modified: data/reference.txt"));
}

TEST_F(LockTest, AnAddedFileIsCaught) {
  write(dir_ / "eval" / "shortcut.cpp", "// new\n");
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "not in LOCK: eval/shortcut.cpp"));
}

TEST_F(LockTest, ARemovedFileIsCaught) {
  fs::remove(dir_ / "suite.yaml");
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "missing: suite.yaml"));
}

TEST_F(LockTest, AMissingLockIsNotIntact) {
  fs::remove(dir_ / "LOCK");
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "missing"));
}

TEST_F(LockTest, AnEditedLockLineIsCaught) {
  std::ifstream in(dir_ / "LOCK");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += "not a lock line\n";
  write(dir_ / "LOCK", text);
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "LOCK line"));
}

TEST_F(LockTest, ASymlinkIsNotAcceptedAsAFile) {
  fs::create_symlink(dir_ / "suite.yaml", dir_ / "alias.yaml");
  const LockReport r = verify_lock(dir_);
  EXPECT_FALSE(r.intact);
  EXPECT_TRUE(mentions(r, "not a regular file: alias.yaml"));
}

TEST(ParseLock, ReadsSha256sumOutputAndSkipsComments) {
  std::vector<std::string> problems;
  const std::string digest(64, 'a');
  const LockEntries e = parse_lock("# header\n\n" + digest + "  eval/a.cpp\n" + digest + " *b.bin\n", problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.at("eval/a.cpp"), digest);
  EXPECT_EQ(e.at("b.bin"), digest);
}

TEST(ParseLock, RejectsDuplicatesAndBadDigests) {
  std::vector<std::string> problems;
  const std::string digest(64, 'b');
  parse_lock(digest + "  a\n" + digest + "  a\n" + std::string(63, 'c') + "  b\n", problems);
  EXPECT_EQ(problems.size(), 2u);
}

TEST(BuildHashes, ABinaryBuiltFromOtherSourcesIsCaught) {
  const LockEntries lock = {{"eval/a.cpp", std::string(64, '1')}};
  std::vector<std::string> problems;
  check_build_hashes(lock, {{"eval/a.cpp", std::string(64, '1')}}, problems);
  EXPECT_TRUE(problems.empty());
  check_build_hashes(lock, {{"eval/a.cpp", std::string(64, '2')}}, problems);
  check_build_hashes(lock, {{"eval/b.cpp", std::string(64, '1')}}, problems);
  EXPECT_EQ(problems.size(), 2u);
}

} // namespace
} // namespace lathe::harness
