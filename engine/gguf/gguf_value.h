// A GGUF metadata value: a scalar, a string or an array (of any of these,
// arrays included), with typed conversions that explain what went wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lathe::gguf {

enum class ValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

std::string_view value_type_name(ValueType type);

struct Value {
  ValueType type = ValueType::UINT8;
  ValueType element_type = ValueType::UINT8; // for ARRAY only
  // Unsigned integers as uint64_t, signed as int64_t, floats as double,
  // strings as views into the mapping, arrays as their elements.
  std::variant<uint64_t, int64_t, double, bool, std::string_view, std::vector<Value>> data;

  bool is_integer() const;
  bool is_float() const { return type == ValueType::FLOAT32 || type == ValueType::FLOAT64; }
  const std::vector<Value>& array() const { return std::get<std::vector<Value>>(data); }
  std::string type_string() const; // "u32", "[string; 151936]", ...
};

// Conversions used by GgufFile::get; `context` names the key (and file) for
// the error message. Throw GgufError.
template <typename T>
T value_as(const Value& value, const std::string& context);

[[noreturn]] void throw_type_mismatch(const Value& value, std::string_view expected,
                                      const std::string& context);

template <typename T>
std::vector<T> array_as(const Value& value, const std::string& context) {
  if (value.type != ValueType::ARRAY) {
    throw_type_mismatch(value, "array", context);
  }
  std::vector<T> out;
  out.reserve(value.array().size());
  for (const Value& element : value.array()) out.push_back(value_as<T>(element, context));
  return out;
}

} // namespace lathe::gguf
