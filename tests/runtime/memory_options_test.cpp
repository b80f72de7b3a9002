// The memory knobs applied to a mapping: prefault makes every page resident,
// mlock either locks or names the RLIMIT_MEMLOCK that is too low, huge_pages
// follows the system's transparent huge page mode.

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

TEST(MemoryOptions, MlockLocksOrNamesTheLimit) {
  const Mapping m(16);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 0;
  ASSERT_EQ(setrlimit(RLIMIT_MEMLOCK, &low), 0);
  std::string error;
  try {
    apply_memory_options(m.base(), m.size(), {.mlock = true}, "test mapping");
  } catch (const MemoryOptionError& e) {
    error = e.what();
  }
  setrlimit(RLIMIT_MEMLOCK, &saved);
  if (error.empty()) {
    // A process with CAP_IPC_LOCK (root) locks whatever the limit says.
    munlock(m.base(), m.size());
    GTEST_SKIP() << "this process may lock memory beyond RLIMIT_MEMLOCK (CAP_IPC_LOCK)";
  }
  EXPECT_NE(error.find("memory.mlock"), std::string::npos) << error;
  EXPECT_NE(error.find("RLIMIT_MEMLOCK"), std::string::npos) << error;
  EXPECT_NE(error.find("0.0 MiB"), std::string::npos) << error;
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
