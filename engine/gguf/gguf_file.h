// A GGUF model file, memory-mapped and validated before anything reads it.
//
// Layout (v2/v3, little-endian): magic "GGUF", u32 version, u64 tensor count,
// u64 metadata count, the metadata key/value pairs, the tensor infos, padding
// to `general.alignment` (default 32), then the tensor data. Opening checks
// every length, count and offset against the file size, so a damaged file is
// a GgufError naming the file, the field and the numbers, never an over-read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/gguf/gguf_value.h"
#include "kernels/quant_types.h"

namespace lathe::gguf {

class GgufError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorInfo {
  std::string_view name;        // points into the mapping
  std::vector<int64_t> dims;    // dims[0] is the row length (contiguous)
  kernels::QuantType type;
  kernels::QuantTraits traits;
  uint64_t offset = 0;          // from the start of the data section
  uint64_t n_bytes = 0;
  const std::byte* data = nullptr; // into the mapping; n_bytes long

  int64_t n_elements() const;
  int64_t row_length() const { return dims[0]; }
  int64_t n_rows() const { return n_elements() / dims[0]; }
  std::string shape_string() const; // "896 x 151936"
};

class GgufFile {
 public:
  // Maps and validates the file. Throws GgufError.
  static GgufFile open(const std::filesystem::path& path);

  GgufFile(GgufFile&& other) noexcept;
  GgufFile& operator=(GgufFile&& other) noexcept;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;
  ~GgufFile();

  const std::filesystem::path& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  const std::byte* mapping() const { return base_; } // the whole file, file_size() bytes, page-aligned
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string_view, Value>>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed access. T is an integer type, float, double, bool, std::string_view
  // or std::string. Integers convert when the value fits. Throws GgufError
  // naming the key and the expected type when it is missing or does not fit.
  template <typename T>
  T get(std::string_view key) const {
    return value_as<T>(require(key), key_context(key));
  }
  template <typename T>
  T get_or(std::string_view key, T fallback) const {
    const Value* v = find(key);
    return v ? value_as<T>(*v, key_context(key)) : fallback;
  }
  // Array access: every element converted as get<T> would.
  template <typename T>
  std::vector<T> get_array(std::string_view key) const {
    return array_as<T>(require(key), key_context(key));
  }

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  const TensorInfo& tensor(std::string_view name) const; // throws GgufError

 private:
  GgufFile() = default;
  const Value& require(std::string_view key) const;
  std::string key_context(std::string_view key) const;
  void parse();

  std::filesystem::path path_;
  const std::byte* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string_view, Value>> metadata_;
  std::map<std::string_view, size_t, std::less<>> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string_view, size_t, std::less<>> tensor_index_;
};

} // namespace lathe::gguf
