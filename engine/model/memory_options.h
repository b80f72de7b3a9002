// What to do with a model's mapping at load (memory.* knobs): each one asked
// for either happens or is an error that says why it cannot.
//   prefault    MADV_WILLNEED, then touch every page, so the first token does
//               not wait for the weights to be paged in
//   mlock       lock the mapping in RAM (never paged out); fails with the
//               RLIMIT_MEMLOCK that is too low
//   huge_pages  MADV_HUGEPAGE on the mapping (and, through SessionOptions,
//               on the KV cache); an error when transparent huge pages are
//               off on this system. A file mapping only gets huge pages from
//               kernels that can put read-only file pages in them
//               (CONFIG_READ_ONLY_THP_FOR_FS); anonymous buffers get them
//               whenever THP is "always" or "madvise".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace lathe {

struct MemoryOptions {
  bool prefault = false;
  bool mlock = false;
  bool huge_pages = false;
};

class MemoryOptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Applies the options to [base, base + size), the mapping of `what` (a file
// name, for messages). Throws MemoryOptionError.
void apply_memory_options(const void* base, size_t size, const MemoryOptions& options, const std::string& what);

// The transparent huge page mode ("always", "madvise" or "never"), or "" when
// the kernel has none.
std::string transparent_huge_pages_mode();

} // namespace lathe
