// libFuzzer target for the GGUF reader: any byte string must either open as
// a valid file or throw GgufError; never crash, hang or read out of bounds.
// The bytes go through a memfd so the real open/mmap path is exercised.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/model/model_summary.h"
#include "kernels/dequantize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("gguf-fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const auto file = lathe::gguf::GgufFile::open(path);
    // Touch what a valid file promises: every tensor's bytes are readable.
    float row[256];
    for (const auto& t : file.tensors()) {
      if (t.traits.dequantizable && t.row_length() <= 256) {
        lathe::kernels::scalar::dequantize_row(t.type, t.data, row, t.row_length());
      }
    }
    (void)lathe::summarize_model(file);
  } catch (const lathe::gguf::GgufError&) {
  }
  close(fd);
  return 0;
}
