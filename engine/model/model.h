// A loaded model: the mapped GGUF file, its hyper-parameters and the typed
// weight views into it, plus the kernel table the weights were checked
// against. Immutable once loaded; any number of sessions may share it.
#pragma once

#include <filesystem>

#include "engine/gguf/gguf_file.h"
#include "engine/model/memory_options.h"
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"
#include "kernels/kernel_table.h"

namespace lathe {

class Model {
 public:
  // Maps the file and checks every tensor the decoder needs. Throws
  // gguf::GgufError with a message naming the file and what is wrong, and
  // OutOfMemoryError (engine/model/memory_check.h) when the weights are larger
  // than the memory available, before any of them is read. The memory
  // options are applied to the mapping (MemoryOptionError when one cannot be).
  // repack: give the matrices whose kernels offer an interleaved layout a
  // repacked copy for decode (repack_model_weights; kernels.matvec_layout:
  // repacked), the copies counted in the memory check.
  static Model load(const std::filesystem::path& path,
                    const kernels::KernelTable& kernels = kernels::active_kernels(),
                    const MemoryOptions& memory = {}, bool repack = false);

  const gguf::GgufFile& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const kernels::KernelTable& kernels() const { return *kernels_; }

 private:
  Model(gguf::GgufFile file, const kernels::KernelTable& kernels);

  gguf::GgufFile file_; // owns the mapping every view points into
  ModelConfig config_;
  ModelWeights weights_;
  const kernels::KernelTable* kernels_;
};

} // namespace lathe
