#include "gguf/gguf_writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace lathe::gguf::testing {
namespace {

static_assert(std::endian::native == std::endian::little, "the writer emits host-order bytes");

template <typename T>
void put(Bytes& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}

template <typename T>
MetaValue scalar(ValueType type, T v) {
  MetaValue m;
  m.type_id = static_cast<uint32_t>(type);
  put(m.payload, v);
  return m;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

} // namespace

void put_u8(Bytes& out, uint8_t v) { put(out, v); }
void put_u16(Bytes& out, uint16_t v) { put(out, v); }
void put_u32(Bytes& out, uint32_t v) { put(out, v); }
void put_u64(Bytes& out, uint64_t v) { put(out, v); }
void put_string(Bytes& out, std::string_view s) {
  put_u64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

MetaValue MetaValue::u8(uint8_t v) { return scalar(ValueType::UINT8, v); }
MetaValue MetaValue::i8(int8_t v) { return scalar(ValueType::INT8, v); }
MetaValue MetaValue::u16(uint16_t v) { return scalar(ValueType::UINT16, v); }
MetaValue MetaValue::i16(int16_t v) { return scalar(ValueType::INT16, v); }
MetaValue MetaValue::u32(uint32_t v) { return scalar(ValueType::UINT32, v); }
MetaValue MetaValue::i32(int32_t v) { return scalar(ValueType::INT32, v); }
MetaValue MetaValue::u64(uint64_t v) { return scalar(ValueType::UINT64, v); }
MetaValue MetaValue::i64(int64_t v) { return scalar(ValueType::INT64, v); }
MetaValue MetaValue::f32(float v) { return scalar(ValueType::FLOAT32, v); }
MetaValue MetaValue::f64(double v) { return scalar(ValueType::FLOAT64, v); }
MetaValue MetaValue::boolean(bool v) { return scalar(ValueType::BOOL, static_cast<uint8_t>(v ? 1 : 0)); }

MetaValue MetaValue::string(std::string_view s) {
  MetaValue m;
  m.type_id = static_cast<uint32_t>(ValueType::STRING);
  put_string(m.payload, s);
  return m;
}

MetaValue MetaValue::array(ValueType element_type, const std::vector<MetaValue>& elements) {
  MetaValue m;
  m.type_id = static_cast<uint32_t>(ValueType::ARRAY);
  put_u32(m.payload, static_cast<uint32_t>(element_type));
  put_u64(m.payload, elements.size());
  for (const MetaValue& e : elements) m.payload.insert(m.payload.end(), e.payload.begin(), e.payload.end());
  return m;
}

MetaValue MetaValue::raw(uint32_t type_id, Bytes payload) { return MetaValue{type_id, std::move(payload)}; }

GgufWriter& GgufWriter::meta(std::string key, MetaValue value) {
  metadata_.emplace_back(std::move(key), std::move(value));
  return *this;
}

GgufWriter& GgufWriter::set_alignment(uint32_t alignment) {
  layout_alignment = alignment;
  return meta("general.alignment", MetaValue::u32(alignment));
}

GgufWriter& GgufWriter::tensor(TensorSpec spec) {
  tensors_.push_back(std::move(spec));
  return *this;
}

uint64_t tensor_bytes(kernels::QuantType type, const std::vector<uint64_t>& dims) {
  const auto traits = kernels::quant_traits(static_cast<uint32_t>(type));
  if (!traits) throw std::invalid_argument("tensor_bytes: unknown type");
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n / static_cast<uint64_t>(traits->block_size) * static_cast<uint64_t>(traits->block_bytes);
}

GgufWriter& GgufWriter::tensor_filled(std::string name, kernels::QuantType type, std::vector<uint64_t> dims) {
  TensorSpec t;
  t.data.resize(tensor_bytes(type, dims));
  uint8_t seed = 0;
  for (char c : name) seed = static_cast<uint8_t>(seed * 31 + static_cast<uint8_t>(c));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<uint8_t>(seed + i * 7);
  t.name = std::move(name);
  t.type_id = static_cast<uint32_t>(type);
  t.dims = std::move(dims);
  return tensor(std::move(t));
}

GgufWriter& GgufWriter::tensor_f32(std::string name, std::vector<uint64_t> dims,
                                   const std::vector<float>& values) {
  TensorSpec t;
  t.name = std::move(name);
  t.type_id = static_cast<uint32_t>(kernels::QuantType::F32);
  t.dims = std::move(dims);
  for (float v : values) put(t.data, v);
  return tensor(std::move(t));
}

Bytes GgufWriter::build(Layout* layout) const {
  Layout lay;
  Bytes out;
  put_u32(out, magic);
  put_u32(out, version);
  put_u64(out, tensor_count.value_or(tensors_.size()));
  put_u64(out, metadata_count.value_or(metadata_.size()));

  lay.metadata_begin = out.size();
  for (const auto& [key, value] : metadata_) {
    put_string(out, key);
    put_u32(out, value.type_id);
    out.insert(out.end(), value.payload.begin(), value.payload.end());
  }

  // Offsets first: a default offset follows the end of everything placed so far.
  uint64_t next = 0;
  for (const TensorSpec& t : tensors_) {
    const uint64_t offset = t.offset.value_or(align_up(next, layout_alignment));
    lay.tensor_offsets.push_back(offset);
    next = std::max(next, offset + t.data.size());
  }

  lay.tensor_infos_begin = out.size();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorSpec& t = tensors_[i];
    put_string(out, t.name);
    put_u32(out, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) put_u64(out, d);
    put_u32(out, t.type_id);
    put_u64(out, lay.tensor_offsets[i]);
  }

  lay.data_offset = align_up(out.size(), layout_alignment);
  out.resize(lay.data_offset, 0);
  // Only tensors with data are placed, so an offset far past the end (with no
  // data) declares a tensor the file does not hold.
  uint64_t data_end = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (tensors_[i].data.empty()) continue;
    data_end = std::max(data_end, lay.tensor_offsets[i] + tensors_[i].data.size());
  }
  out.resize(lay.data_offset + align_up(data_end, layout_alignment), 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Bytes& d = tensors_[i].data;
    std::copy(d.begin(), d.end(),
              out.begin() + static_cast<std::ptrdiff_t>(lay.data_offset + lay.tensor_offsets[i]));
  }
  if (layout) *layout = std::move(lay);
  return out;
}

TestDir::TestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? fmt::format("{}.{}", info->test_suite_name(), info->name()) : "no-test";
  std::replace(name.begin(), name.end(), '/', '_');
  path_ = std::filesystem::temp_directory_path() / fmt::format("lathe-{}-{}", name, ::getpid());
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TestDir::~TestDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TestDir::write(std::string_view name, const Bytes& bytes) const {
  const std::filesystem::path file = path_ / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error(fmt::format("TestDir: cannot write {}", file.string()));
  return file;
}

} // namespace lathe::gguf::testing
