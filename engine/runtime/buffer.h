// An uninitialised byte buffer, allocated once: with huge_pages, aligned to
// 2 MiB and advised MADV_HUGEPAGE, so that the kernel may back it with
// transparent huge pages (when /sys/kernel/mm/transparent_hugepage/enabled is
// "always" or "madvise"; otherwise the advice has no effect).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lathe {

class ByteBuffer {
 public:
  ByteBuffer(size_t size, bool huge_pages);
  ~ByteBuffer();
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// 2 MiB, the x86-64 and arm64 (4 KiB base pages) transparent huge page size.
constexpr size_t kHugePageBytes = size_t{2} << 20;

} // namespace lathe
