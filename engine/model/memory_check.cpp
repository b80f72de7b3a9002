#include "engine/model/memory_check.h"

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace lathe {
namespace {

// The first whitespace-separated number after `key` at the start of a line
// of `path`, or the file's first number when key is empty.
std::optional<uint64_t> read_number(const char* path, std::string_view key = {}) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!key.empty() && !line.starts_with(key)) continue;
    std::istringstream fields(line.substr(key.size()));
    uint64_t value = 0;
    if (fields >> value) return value;
    return std::nullopt; // "max": no limit
  }
  return std::nullopt;
}

// Room left under a cgroup limit: limit - usage + page cache, or nullopt
// without a limit.
std::optional<uint64_t> cgroup_room(const char* limit_file, const char* usage_file, const char* stat_file,
                                    std::string_view cache_key) {
  const std::optional<uint64_t> limit = read_number(limit_file);
  if (!limit || *limit >= (uint64_t{1} << 62)) return std::nullopt; // v1 writes "no limit" as ~2^63
  const uint64_t usage = read_number(usage_file).value_or(0);
  const uint64_t cache = read_number(stat_file, cache_key).value_or(0);
  const uint64_t used = usage > cache ? usage - cache : 0;
  return *limit > used ? *limit - used : 0;
}

double gib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

} // namespace

AvailableMemory available_memory() {
  AvailableMemory a;
  if (const auto kib = read_number("/proc/meminfo", "MemAvailable:")) {
    a.bytes = *kib * 1024;
    a.source = "MemAvailable in /proc/meminfo";
  }
  const auto consider = [&](std::optional<uint64_t> room, const char* source) {
    if (room && *room < a.bytes) {
      a.bytes = *room;
      a.source = source;
    }
  };
  consider(cgroup_room("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current",
                       "/sys/fs/cgroup/memory.stat", "file "),
           "the cgroup's memory.max");
  consider(cgroup_room("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                       "/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory/memory.stat",
                       "total_cache "),
           "the cgroup's memory.limit_in_bytes");
  return a;
}

void require_memory(uint64_t needed, std::string_view what, const AvailableMemory& available) {
  if (needed <= available.bytes) return;
  throw OutOfMemoryError(fmt::format("{} needs {:.1f} GiB of memory, but {:.1f} GiB is available ({})", what,
                                     gib(needed), gib(available.bytes), available.source));
}

} // namespace lathe
