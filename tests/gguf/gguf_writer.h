// A GGUF writer for tests: builds valid v3 files byte by byte, and through
// explicit overrides every damaged file the reader must reject.
//
// Layout written (little-endian): magic, u32 version, u64 tensor count, u64
// metadata count, the key/value pairs in the order added, the tensor infos in
// the order added, zero padding to the alignment, then the data section: each
// tensor's bytes at its offset (by default packed in order, each offset a
// multiple of the alignment), the section zero-padded to the alignment.
//
// Nothing here checks what it writes: a MetaValue or TensorSpec may carry any
// type id, dims, offset or payload, so that a test can write exactly the
// corruption it wants.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf_value.h"
#include "kernels/quant_types.h"

namespace lathe::gguf::testing {

using Bytes = std::vector<uint8_t>;

// Little-endian appends.
void put_u8(Bytes& out, uint8_t v);
void put_u16(Bytes& out, uint16_t v);
void put_u32(Bytes& out, uint32_t v);
void put_u64(Bytes& out, uint64_t v);
void put_string(Bytes& out, std::string_view s); // u64 length, then the bytes

// A metadata value: its type id and the bytes that follow the type id.
struct MetaValue {
  uint32_t type_id = 0; // a ValueType, or any number for a corrupt file
  Bytes payload;

  static MetaValue u8(uint8_t v);
  static MetaValue i8(int8_t v);
  static MetaValue u16(uint16_t v);
  static MetaValue i16(int16_t v);
  static MetaValue u32(uint32_t v);
  static MetaValue i32(int32_t v);
  static MetaValue u64(uint64_t v);
  static MetaValue i64(int64_t v);
  static MetaValue f32(float v);
  static MetaValue f64(double v);
  static MetaValue boolean(bool v);
  static MetaValue string(std::string_view s);
  // An array: u32 element type, u64 count, then each element's payload (the
  // elements' own type ids are not written; they should all be element_type).
  static MetaValue array(ValueType element_type, const std::vector<MetaValue>& elements);
  static MetaValue raw(uint32_t type_id, Bytes payload);
};

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;     // dims[0] is the row length; any count, any values
  uint32_t type_id = 0;           // a kernels::QuantType, or any number
  Bytes data;                     // written at the offset; may be shorter than the type implies
  std::optional<uint64_t> offset; // default: after the previous tensor, aligned
};

// Byte positions in the file the writer produced.
struct Layout {
  uint64_t metadata_begin = 0;          // first key/value pair (24)
  uint64_t tensor_infos_begin = 0;      // first tensor info
  uint64_t data_offset = 0;             // start of the data section
  std::vector<uint64_t> tensor_offsets; // per tensor, from the data section
};

class GgufWriter {
 public:
  // Header fields, written as set. The counts default to the real ones.
  uint32_t magic = 0x46554747; // "GGUF"
  uint32_t version = 3;
  std::optional<uint64_t> tensor_count;
  std::optional<uint64_t> metadata_count;
  // The alignment the data section is laid out with; it is NOT written as
  // metadata unless set_alignment() is used.
  uint64_t layout_alignment = 32;

  // Adds a pair (duplicates are kept, to test that the reader rejects them).
  GgufWriter& meta(std::string key, MetaValue value);
  // Writes general.alignment as a u32 and lays the data out with it.
  GgufWriter& set_alignment(uint32_t alignment);
  GgufWriter& tensor(TensorSpec spec);
  // A tensor whose data is the right size for its type, filled with bytes
  // derived from its name (so two tensors' data differ).
  GgufWriter& tensor_filled(std::string name, kernels::QuantType type, std::vector<uint64_t> dims);
  GgufWriter& tensor_f32(std::string name, std::vector<uint64_t> dims, const std::vector<float>& values);

  Bytes build(Layout* layout = nullptr) const;

 private:
  std::vector<std::pair<std::string, MetaValue>> metadata_;
  std::vector<TensorSpec> tensors_;
};

// The byte size the reader expects for a tensor of this type and shape.
uint64_t tensor_bytes(kernels::QuantType type, const std::vector<uint64_t>& dims);

// A directory of its own for the running test, named after it and removed
// with its contents when the TestDir is destroyed.
class TestDir {
 public:
  TestDir();
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `bytes` to path()/name and returns the file's path.
  std::filesystem::path write(std::string_view name, const Bytes& bytes) const;

 private:
  std::filesystem::path path_;
};

} // namespace lathe::gguf::testing
