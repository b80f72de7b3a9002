#include "engine/gguf/gguf_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

namespace lathe::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;
constexpr int kMaxArrayDepth = 4;
constexpr uint64_t kDefaultAlignment = 32;
// The smallest encodings, used to reject counts the file cannot hold before
// anything is allocated for them.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;

// Reads little-endian values from the mapping; every read is bounds-checked
// and an overrun names the field being read.
class Cursor {
 public:
  Cursor(const std::byte* base, uint64_t size, const std::string& file)
      : base_(base), size_(size), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(std::string_view field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string_view read_string(std::string_view field) {
    const auto len = read<uint64_t>(field);
    need(len, field);
    std::string_view s(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return s;
  }

  void need(uint64_t n, std::string_view field) const {
    if (n > remaining()) {
      throw GgufError(fmt::format("{}: {} at offset {} needs {} bytes but the file ends after {}",
                                  file_, field, pos_, n, remaining()));
    }
  }

 private:
  const std::byte* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& file_;
};

uint64_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: return 8;  // at least its length
    case ValueType::ARRAY: return 12;  // at least its element type and count
  }
  return 0;
}

ValueType read_value_type(Cursor& c, const std::string& field, const std::string& file) {
  const auto raw = c.read<uint32_t>(field);
  if (raw > static_cast<uint32_t>(ValueType::FLOAT64)) {
    throw GgufError(fmt::format("{}: {} has unknown value type {} (expected 0..12)", file, field, raw));
  }
  return static_cast<ValueType>(raw);
}

Value read_value(Cursor& c, ValueType type, const std::string& field, const std::string& file,
                 int depth) {
  Value v;
  v.type = type;
  switch (type) {
    case ValueType::UINT8: v.data = uint64_t{c.read<uint8_t>(field)}; break;
    case ValueType::INT8: v.data = int64_t{c.read<int8_t>(field)}; break;
    case ValueType::UINT16: v.data = uint64_t{c.read<uint16_t>(field)}; break;
    case ValueType::INT16: v.data = int64_t{c.read<int16_t>(field)}; break;
    case ValueType::UINT32: v.data = uint64_t{c.read<uint32_t>(field)}; break;
    case ValueType::INT32: v.data = int64_t{c.read<int32_t>(field)}; break;
    case ValueType::UINT64: v.data = c.read<uint64_t>(field); break;
    case ValueType::INT64: v.data = c.read<int64_t>(field); break;
    case ValueType::FLOAT32: v.data = double{c.read<float>(field)}; break;
    case ValueType::FLOAT64: v.data = c.read<double>(field); break;
    case ValueType::BOOL: {
      const auto b = c.read<uint8_t>(field);
      if (b > 1) throw GgufError(fmt::format("{}: {} is a bool with byte value {} (expected 0 or 1)", file, field, b));
      v.data = b == 1;
      break;
    }
    case ValueType::STRING: v.data = c.read_string(field); break;
    case ValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) {
        throw GgufError(fmt::format("{}: {} nests arrays deeper than {}", file, field, kMaxArrayDepth));
      }
      v.element_type = read_value_type(c, field + " (array element type)", file);
      const auto count = c.read<uint64_t>(field + " (array length)");
      const uint64_t min_bytes = scalar_size(v.element_type);
      if (count > c.remaining() / min_bytes) {
        throw GgufError(fmt::format("{}: {} claims {} elements of type {}, more than the {} bytes left can hold",
                                    file, field, count, value_type_name(v.element_type), c.remaining()));
      }
      std::vector<Value> elements;
      elements.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        elements.push_back(read_value(c, v.element_type, field, file, depth + 1));
      }
      v.data = std::move(elements);
      break;
    }
  }
  return v;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

} // namespace

int64_t TensorInfo::n_elements() const {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<>());
}

std::string TensorInfo::shape_string() const { return fmt::format("{}", fmt::join(dims, " x ")); }

GgufFile GgufFile::open(const std::filesystem::path& path) {
  GgufFile f;
  f.path_ = path;
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw GgufError(fmt::format("{}: cannot open: {}", name, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw GgufError(fmt::format("{}: not a regular file", name));
  }
  f.size_ = static_cast<uint64_t>(st.st_size);
  if (f.size_ < 4 + 4 + 8 + 8) {
    ::close(fd);
    throw GgufError(fmt::format("{}: header: the file has {} bytes, less than the 24-byte GGUF header", name, f.size_));
  }
  void* map = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw GgufError(fmt::format("{}: mmap failed: {}", name, std::strerror(errno)));
  f.base_ = static_cast<const std::byte*>(map);
  f.parse();  // on a throw, f's destructor unmaps
  return f;
}

GgufFile::GgufFile(GgufFile&& other) noexcept { *this = std::move(other); }

GgufFile& GgufFile::operator=(GgufFile&& other) noexcept {
  if (this != &other) {
    if (base_) ::munmap(const_cast<std::byte*>(base_), size_);
    path_ = std::move(other.path_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    version_ = other.version_;
    alignment_ = other.alignment_;
    data_offset_ = other.data_offset_;
    metadata_ = std::move(other.metadata_);
    metadata_index_ = std::move(other.metadata_index_);
    tensors_ = std::move(other.tensors_);
    tensor_index_ = std::move(other.tensor_index_);
  }
  return *this;
}

GgufFile::~GgufFile() {
  if (base_) ::munmap(const_cast<std::byte*>(base_), size_);
}

void GgufFile::parse() {
  const std::string file = path_.string();
  Cursor c(base_, size_, file);

  const auto magic = c.read<uint32_t>("magic");
  if (magic != kMagic) {
    throw GgufError(fmt::format("{}: magic: expected 'GGUF' (0x{:08x}), found 0x{:08x}: not a GGUF file",
                                file, kMagic, magic));
  }
  version_ = c.read<uint32_t>("version");
  if (version_ != 2 && version_ != 3) {
    const bool swapped = version_ == 0x02000000 || version_ == 0x03000000;
    throw GgufError(fmt::format("{}: version: expected 2 or 3, found {}{}", file, version_,
                                swapped ? " (a big-endian file, which is not supported)" : ""));
  }
  const auto n_tensors = c.read<uint64_t>("tensor count");
  const auto n_kv = c.read<uint64_t>("metadata count");
  if (n_kv > c.remaining() / kMinKeyValueBytes) {
    throw GgufError(fmt::format("{}: metadata count {} is more than the {} bytes left can hold", file, n_kv,
                                c.remaining()));
  }
  if (n_tensors > c.remaining() / kMinTensorInfoBytes) {
    throw GgufError(fmt::format("{}: tensor count {} is more than the {} bytes left can hold", file, n_tensors,
                                c.remaining()));
  }

  metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string_view key = c.read_string(fmt::format("metadata key #{}", i));
    const std::string field = fmt::format("metadata '{}'", key);
    const ValueType type = read_value_type(c, field + " (type)", file);
    Value value = read_value(c, type, field, file, 0);
    if (!metadata_index_.emplace(key, metadata_.size()).second) {
      throw GgufError(fmt::format("{}: metadata key '{}' appears twice", file, key));
    }
    metadata_.emplace_back(key, std::move(value));
  }

  if (const Value* a = find("general.alignment")) {
    const auto align = value_as<uint32_t>(*a, key_context("general.alignment"));
    if (align == 0 || (align & (align - 1)) != 0) {
      throw GgufError(fmt::format("{}: general.alignment: expected a power of two, found {}", file, align));
    }
    alignment_ = align;
  } else {
    alignment_ = kDefaultAlignment;
  }

  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = c.read_string(fmt::format("tensor #{} name", i));
    const std::string field = fmt::format("tensor '{}'", t.name);
    const auto n_dims = c.read<uint32_t>(field + " dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      throw GgufError(fmt::format("{}: {}: expected 1 to {} dimensions, found {}", file, field, kMaxDims, n_dims));
    }
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto dim = c.read<uint64_t>(field + " dimension");
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          static_cast<int64_t>(dim) > std::numeric_limits<int64_t>::max() / n_elements) {
        throw GgufError(fmt::format("{}: {}: dimension {} is {}, expected a positive size whose product fits 63 bits",
                                    file, field, d, dim));
      }
      t.dims.push_back(static_cast<int64_t>(dim));
      n_elements *= static_cast<int64_t>(dim);
    }
    const auto type_id = c.read<uint32_t>(field + " type");
    const auto traits = kernels::quant_traits(type_id);
    if (!traits) {
      throw GgufError(fmt::format("{}: {}: unknown tensor type id {}", file, field, type_id));
    }
    t.type = static_cast<kernels::QuantType>(type_id);
    t.traits = *traits;
    if (t.dims[0] % traits->block_size != 0) {
      throw GgufError(fmt::format("{}: {}: row length {} is not a multiple of the {} block size {}", file, field,
                                  t.dims[0], traits->name, traits->block_size));
    }
    t.offset = c.read<uint64_t>(field + " offset");
    if (t.offset % alignment_ != 0) {
      throw GgufError(fmt::format("{}: {}: offset {} is not a multiple of the alignment {}", file, field, t.offset,
                                  alignment_));
    }
    const uint64_t blocks = static_cast<uint64_t>(n_elements / traits->block_size);
    if (blocks > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(traits->block_bytes)) {
      throw GgufError(fmt::format("{}: {}: byte size overflows", file, field));
    }
    t.n_bytes = blocks * static_cast<uint64_t>(traits->block_bytes);
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) {
      throw GgufError(fmt::format("{}: tensor name '{}' appears twice", file, t.name));
    }
    tensors_.push_back(std::move(t));
  }

  data_offset_ = align_up(c.pos(), alignment_);
  // A file without tensors may end before the padding (llama.cpp reads such
  // vocabulary-only files); it has an empty data section.
  if (data_offset_ > size_ && !tensors_.empty()) {
    throw GgufError(fmt::format("{}: data section: starts at {} past the end of the file ({} bytes)", file,
                                data_offset_, size_));
  }
  const uint64_t data_size = data_offset_ < size_ ? size_ - data_offset_ : 0;
  for (TensorInfo& t : tensors_) {
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      throw GgufError(fmt::format(
          "{}: tensor '{}' ({} {}, {} bytes at data offset {}) ends past the end of the file "
          "(data section holds {} bytes)",
          file, t.name, t.traits.name, t.shape_string(), t.n_bytes, t.offset, data_size));
    }
    t.data = base_ + data_offset_ + t.offset;
  }

  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& prev = *by_offset[i - 1];
    const TensorInfo& next = *by_offset[i];
    if (prev.offset + prev.n_bytes > next.offset) {
      throw GgufError(fmt::format("{}: tensors '{}' (bytes {}..{}) and '{}' (from {}) overlap", file, prev.name,
                                  prev.offset, prev.offset + prev.n_bytes, next.name, next.offset));
    }
  }
}

const Value* GgufFile::find(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const Value& GgufFile::require(std::string_view key) const {
  const Value* v = find(key);
  if (!v) throw GgufError(fmt::format("{}: missing metadata key '{}'", path_.string(), key));
  return *v;
}

std::string GgufFile::key_context(std::string_view key) const {
  return fmt::format("{}: metadata '{}'", path_.string(), key);
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& GgufFile::tensor(std::string_view name) const {
  const TensorInfo* t = find_tensor(name);
  if (!t) throw GgufError(fmt::format("{}: missing tensor '{}'", path_.string(), name));
  return *t;
}

} // namespace lathe::gguf
