#include "engine/model/model.h"

#include <utility>

namespace lathe {

Model::Model(gguf::GgufFile file, const kernels::KernelTable& kernels)
    : file_(std::move(file)), kernels_(&kernels) {
  // The views are taken after the move, from the file that now owns the mapping.
  config_ = read_model_config(file_);
  weights_ = load_model_weights(file_, config_, kernels);
}

Model Model::load(const std::filesystem::path& path, const kernels::KernelTable& kernels) {
  return Model(gguf::GgufFile::open(path), kernels);
}

} // namespace lathe
