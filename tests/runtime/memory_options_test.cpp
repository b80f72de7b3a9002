// The memory knobs applied to a mapping: prefault makes every page resident,
// mlock either locks or names the RLIMIT_MEMLOCK that is too low, huge_pages
// follows the system's transparent huge page mode.

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/model/memory_options.h"

namespace lathe {
namespace {

// A private anonymous mapping of `pages` pages, unmapped at the end.
class Mapping {
 public:
  explicit Mapping(size_t pages) : size_(pages * static_cast<size_t>(sysconf(_SC_PAGESIZE))) {
    base_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~Mapping() { munmap(base_, size_); }
  void* base() const { return base_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  void* base_;
};

size_t resident_pages(const Mapping& m) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core(m.size() / page);
  if (mincore(m.base(), m.size(), in_core.data()) != 0) return 0;
  size_t n = 0;
  for (unsigned char c : in_core) n += c & 1u;
  return n;
}

TEST(MemoryOptions, PrefaultMakesEveryPageResident) {
  const Mapping m(64);
  ASSERT_NE(m.base(), MAP_FAILED);
  EXPECT_EQ(resident_pages(m), 0u);
  apply_memory_options(m.base(), m.size(), {.prefault = true}, "test mapping");
  EXPECT_EQ(resident_pages(m), 64u);
}

// In a child process without CAP_IPC_LOCK (dropped from its effective set, so
// that root is held to the limit too) and with RLIMIT_MEMLOCK 0, mlock must
// fail with a message naming the knob and the limit. Exit codes: 0 that
// error, 1 locked anyway, 2 another message, 3 the set-up failed.
int child_mlock_with_no_limit() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2]{};
  if (syscall(SYS_capget, &header, caps) != 0) return 3;
  caps[0].effective &= ~(1u << CAP_IPC_LOCK);
  if (syscall(SYS_capset, &header, caps) != 0) return 3;
  rlimit none{0, 0};
  if (setrlimit(RLIMIT_MEMLOCK, &none) != 0) return 3;
  const Mapping m(16);
  try {
    apply_memory_options(m.base(), m.size(), {.mlock = true}, "test mapping");
  } catch (const MemoryOptionError& e) {
    const std::string error = e.what();
    const bool named = error.find("memory.mlock") != std::string::npos &&
                       error.find("RLIMIT_MEMLOCK") != std::string::npos &&
                       error.find("is 0.0 MiB") != std::string::npos;
    return named ? 0 : 2;
  }
  return 1;
}

TEST(MemoryOptions, MlockBeyondTheLimitNamesTheLimit) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces mlock with a no-op, so no limit can be hit in this build";
#endif
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(child_mlock_with_no_limit());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: locked beyond the limit, 2: the message lacks the knob or the limit, "
                                       "3: the child could not drop CAP_IPC_LOCK or set the limit";
}

TEST(MemoryOptions, MlockWithinTheLimitLocks) {
  const Mapping m(4);
  rlimit r{};
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &r), 0);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < m.size()) GTEST_SKIP() << "RLIMIT_MEMLOCK below 4 pages";
  EXPECT_NO_THROW(apply_memory_options(m.base(), m.size(), {.mlock = true}, "test mapping"));
  munlock(m.base(), m.size());
}

TEST(MemoryOptions, HugePagesFollowTheSystemMode) {
  const Mapping m(1024);
  const std::string mode = transparent_huge_pages_mode();
  if (mode == "always" || mode == "madvise") {
    EXPECT_NO_THROW(apply_memory_options(m.base(), m.size(), {.huge_pages = true}, "test mapping"));
  } else {
    EXPECT_THROW(apply_memory_options(m.base(), m.size(), {.huge_pages = true}, "test mapping"), MemoryOptionError);
  }
}

} // namespace
} // namespace lathe
