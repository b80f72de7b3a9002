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
                  const MemoryOptions& memory, bool repack) {
  gguf::GgufFile file = gguf::GgufFile::open(path);
  // Every weight is read for every token: a model that does not fit in memory
  // would be paged in from disk again and again, or killed half-way.
  require_memory(file.file_size() - file.data_offset(), fmt::format("{}: the model", path.string()));
  apply_memory_options(file.mapping(), file.file_size(), memory, path.string());
  const uint64_t file_bytes = file.file_size() - file.data_offset();
  Model model(std::move(file), kernels);
  if (repack) {
    const int64_t copies = repacked_weight_bytes(model.weights_, kernels);
    require_memory(file_bytes + static_cast<uint64_t>(copies),
                   fmt::format("{}: the model with its repacked weights", path.string()));
    repack_model_weights(model.weights_, kernels);
  }
  return model;
}

} // namespace lathe
