#include "engine/runtime/buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace lathe {

ByteBuffer::ByteBuffer(size_t size, bool huge_pages) : size_(size) {
  if (size == 0) return;
  if (huge_pages) {
    const size_t rounded = (size + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    data_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePageBytes, rounded));
    if (data_ == nullptr) throw std::bad_alloc();
    // Advice only: a kernel without transparent huge pages refuses it, and
    // the buffer works the same with base pages.
    (void)madvise(data_, rounded, MADV_HUGEPAGE);
  } else {
    data_ = static_cast<uint8_t*>(std::malloc(size));
    if (data_ == nullptr) throw std::bad_alloc();
  }
}

ByteBuffer::~ByteBuffer() { std::free(data_); }

} // namespace lathe
