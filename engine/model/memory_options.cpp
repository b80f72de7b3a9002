#include "engine/model/memory_options.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

namespace lathe {
namespace {

std::string mib(size_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

std::string memlock_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_MEMLOCK, &r) != 0) return "unknown";
  return r.rlim_cur == RLIM_INFINITY ? "unlimited" : mib(r.rlim_cur);
}

} // namespace

std::string transparent_huge_pages_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return "";
  // "always [madvise] never": the mode in brackets
  const size_t open = line.find('[');
  const size_t close = line.find(']', open);
  return open == std::string::npos || close == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
}

void apply_memory_options(const void* base, size_t size, const MemoryOptions& o, const std::string& what) {
  // madvise and mlock take page-aligned ranges; the mapping starts on a page.
  void* start = const_cast<void*>(base);
  if (o.huge_pages) {
    const std::string mode = transparent_huge_pages_mode();
    if (mode != "always" && mode != "madvise") {
      throw MemoryOptionError(fmt::format(
          "memory.huge_pages: transparent huge pages are {} on this system "
          "(/sys/kernel/mm/transparent_hugepage/enabled); set memory.huge_pages: false",
          mode.empty() ? "not available" : "off (" + mode + ")"));
    }
    if (madvise(start, size, MADV_HUGEPAGE) != 0) {
      throw MemoryOptionError(fmt::format("memory.huge_pages: madvise(MADV_HUGEPAGE) on {} failed: {}", what,
                                          std::strerror(errno)));
    }
  }
  if (o.mlock) {
    if (mlock(start, size) != 0) {
      const int err = errno;
      throw MemoryOptionError(fmt::format(
          "memory.mlock: cannot lock the {} of {} in RAM: {}; the locked-memory limit (RLIMIT_MEMLOCK, "
          "ulimit -l) is {}. Raise it (ulimit -l unlimited, or memlock in /etc/security/limits.conf) or set "
          "memory.mlock: false",
          mib(size), what, std::strerror(err), memlock_limit()));
    }
  }
  if (o.prefault) {
    (void)madvise(start, size, MADV_WILLNEED); // a hint: read-ahead starts now
    // Read one byte per page (a volatile read is never optimised away) so
    // that every page is resident before the first token.
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const auto* bytes = static_cast<const volatile uint8_t*>(base);
    for (size_t at = 0; at < size; at += page) (void)bytes[at];
  }
}

} // namespace lathe
