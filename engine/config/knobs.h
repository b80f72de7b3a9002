// The one declaration of every runtime knob: dotted name, type, default,
// allowed values and one line of help, plus typed access to its field of
// RuntimeConfig. Parsing, validation, --set, `lathe config --help`, to_yaml()
// and the copy of the config in every result record all read this table;
// adding a knob means one field in config.h and one entry in knobs.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "engine/config/config.h"

namespace lathe {

enum class KnobType { kBool, kInt, kFloat, kEnum, kString };

std::string_view knob_type_name(KnobType type); // "bool", "int", "float", "enum", "string"

// A knob's value: bool, int (any integer field), float (double), enum
// (its YAML name) or string.
using KnobValue = std::variant<bool, int64_t, double, std::string>;

struct IntRange {
  int64_t min;
  int64_t max;
  std::optional<int64_t> special = std::nullopt; // one more allowed value outside [min, max], e.g. 0
  std::string_view special_means = {};           // what it means, e.g. "one per core"
};

struct FloatRange {
  double min;
  double max; // +infinity: no upper bound (values must still be finite)
  bool min_open = false;
  bool max_open = false;
};

struct Knob {
  std::string_view name; // "section.key", as in YAML (nested) and --set (dotted)
  KnobType type;
  std::string_view default_yaml; // the default as a YAML scalar, parsed and checked like any value
  std::string_view help;         // one line
  IntRange ints{};               // kInt
  FloatRange floats{};           // kFloat
  // kEnum: the names. kString: the allowed non-empty values, or none to allow
  // any name of lowercase letters, digits, '-', '_' and '.'.
  std::span<const std::string_view> values{};
  std::string_view empty_means{}; // kString: what "" means
  KnobValue (*get)(const RuntimeConfig&) = nullptr;
  void (*set)(RuntimeConfig&, const KnobValue&) = nullptr; // PRECONDITION: check_knob_value() passed

  std::string_view section() const { return name.substr(0, name.find('.')); }
  std::string_view key() const { return name.substr(name.find('.') + 1); }
};

// Every knob, sections contiguous, in the order of to_yaml() and --help.
std::span<const Knob> knobs();
const Knob* find_knob(std::string_view name); // nullptr when unknown

// What the knob accepts, e.g. "0 (all cores) or an integer in [1, 256]".
std::string allowed_text(const Knob& knob);

// Empty when `value` (of the knob's type) is allowed; otherwise the problem,
// e.g. "300 is out of range (allowed: ...)" or
// "\"q8\" is not allowed (allowed: one of ...); did you mean q8_0?".
std::string check_knob_value(const Knob& knob, const KnobValue& value);

// The value as a YAML scalar: true, 4, 0.95, q8_0, "chatml".
std::string format_knob_value(const Knob& knob, const KnobValue& value);

// The candidate closest to `word` by edit distance (case-insensitive,
// transpositions count once), or "" when none is close enough to be a typo.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

} // namespace lathe
