#include "engine/model/model.h"

#include <fmt/format.h>

#include <utility>

#include "engine/model/memory_check.h"

namespace lathe {

Model::Model(gguf::GgufFile file, const kernels::KernelTable& kernels)
    : file_(std::move(file)), kernels_(&kernels) {
  // The views are taken after the move, from the file that now owns the mapping.
  config_ = read_model_config(file_);
  weights_ = load_model_weights(file_, config_, kernels);
}

Model Model::load(const std::filesystem::path& path, const kernels::KernelTable& kernels,
                  const MemoryOptions& memory) {
  gguf::GgufFile file = gguf::GgufFile::open(path);
  // Every weight is read for every token: a model that does not fit in memory
  // would be paged in from disk again and again, or killed half-way.
  require_memory(file.file_size() - file.data_offset(), fmt::format("{}: the model", path.string()));
  apply_memory_options(file.mapping(), file.file_size(), memory, path.string());
  return Model(std::move(file), kernels);
}

} // namespace lathe
