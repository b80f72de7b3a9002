// How much memory the process can still use, and a check that something fits
// in it before it is touched: a model larger than the machine fails at load
// with a message saying how much it needs, instead of the kernel's OOM killer
// ending the process half-way through a generation.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lathe {

class OutOfMemoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AvailableMemory {
  uint64_t bytes = UINT64_MAX; // UINT64_MAX: unknown, no check
  std::string source;          // which limit that is, for messages
};

// The smallest of: MemAvailable in /proc/meminfo (free memory plus the page
// cache the kernel can drop, which includes a model file already cached) and
// the room left under a cgroup memory limit (v2 memory.max, v1
// memory.limit_in_bytes), its page cache counted as free.
AvailableMemory available_memory();

// Throws OutOfMemoryError "{what} needs 47.9 GiB of memory, but 21.5 GiB is
// available (MemAvailable in /proc/meminfo)" when needed > available.bytes.
void require_memory(uint64_t needed, std::string_view what,
                    const AvailableMemory& available = available_memory());

} // namespace lathe
