#include "engine/gguf/gguf_value.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/gguf/gguf_file.h"

namespace lathe::gguf {

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::UINT8: return "u8";
    case ValueType::INT8: return "i8";
    case ValueType::UINT16: return "u16";
    case ValueType::INT16: return "i16";
    case ValueType::UINT32: return "u32";
    case ValueType::INT32: return "i32";
    case ValueType::FLOAT32: return "f32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "u64";
    case ValueType::INT64: return "i64";
    case ValueType::FLOAT64: return "f64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  return std::holds_alternative<uint64_t>(data) || std::holds_alternative<int64_t>(data);
}

std::string Value::type_string() const {
  if (type != ValueType::ARRAY) return std::string(value_type_name(type));
  return fmt::format("[{}; {}]", value_type_name(element_type), array().size());
}

void throw_type_mismatch(const Value& value, std::string_view expected, const std::string& context) {
  throw GgufError(fmt::format("{}: expected {}, found {}", context, expected, value.type_string()));
}

namespace {

template <typename T>
constexpr std::string_view expected_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, uint8_t>) return "an integer in [0, 255]";
  else if constexpr (std::is_same_v<T, int8_t>) return "an integer in [-128, 127]";
  else if constexpr (std::is_same_v<T, uint16_t>) return "an integer in [0, 65535]";
  else if constexpr (std::is_same_v<T, int16_t>) return "an integer in [-32768, 32767]";
  else if constexpr (std::is_same_v<T, uint32_t>) return "an integer in [0, 2^32)";
  else if constexpr (std::is_same_v<T, int32_t>) return "an integer in [-2^31, 2^31)";
  else if constexpr (std::is_same_v<T, uint64_t>) return "a non-negative integer";
  else if constexpr (std::is_same_v<T, int64_t>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a float";
  else return "a string";
}

template <typename T>
T integer_as(const Value& value, const std::string& context) {
  if (const auto* u = std::get_if<uint64_t>(&value.data)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(*u);
    throw GgufError(fmt::format("{}: value {} does not fit {}", context, *u, expected_name<T>()));
  }
  if (const auto* i = std::get_if<int64_t>(&value.data)) {
    const bool fits = std::is_signed_v<T>
                          ? (*i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                             *i <= static_cast<int64_t>(std::numeric_limits<T>::max()))
                          : (*i >= 0 && static_cast<uint64_t>(*i) <=
                                            static_cast<uint64_t>(std::numeric_limits<T>::max()));
    if (fits) return static_cast<T>(*i);
    throw GgufError(fmt::format("{}: value {} does not fit {}", context, *i, expected_name<T>()));
  }
  throw_type_mismatch(value, expected_name<T>(), context);
}

} // namespace

template <typename T>
T value_as(const Value& value, const std::string& context) {
  if constexpr (std::is_same_v<T, bool>) {
    if (const auto* b = std::get_if<bool>(&value.data)) return *b;
    throw_type_mismatch(value, "bool", context);
  } else if constexpr (std::is_integral_v<T>) {
    return integer_as<T>(value, context);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (const auto* d = std::get_if<double>(&value.data)) return static_cast<T>(*d);
    throw_type_mismatch(value, "a float", context);
  } else {
    if (const auto* s = std::get_if<std::string_view>(&value.data)) return T(*s);
    throw_type_mismatch(value, "a string", context);
  }
}

template bool value_as<bool>(const Value&, const std::string&);
template uint8_t value_as<uint8_t>(const Value&, const std::string&);
template int8_t value_as<int8_t>(const Value&, const std::string&);
template uint16_t value_as<uint16_t>(const Value&, const std::string&);
template int16_t value_as<int16_t>(const Value&, const std::string&);
template uint32_t value_as<uint32_t>(const Value&, const std::string&);
template int32_t value_as<int32_t>(const Value&, const std::string&);
template uint64_t value_as<uint64_t>(const Value&, const std::string&);
template int64_t value_as<int64_t>(const Value&, const std::string&);
template float value_as<float>(const Value&, const std::string&);
template double value_as<double>(const Value&, const std::string&);
template std::string_view value_as<std::string_view>(const Value&, const std::string&);
template std::string value_as<std::string>(const Value&, const std::string&);

} // namespace lathe::gguf
