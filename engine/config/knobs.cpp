#include "engine/config/knobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace lathe {
namespace {

// Typed access to the field `config.*Section.*Field`, converted to and from
// KnobValue. Integer narrowing is safe because set() runs only on values that
// passed the knob's range check (a test sets every bound and reads it back).
template <auto Section, auto Field>
KnobValue get_field(const RuntimeConfig& config) {
  const auto& field = (config.*Section).*Field;
  using T = std::remove_cvref_t<decltype(field)>;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    return field;
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(enum_name(field));
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<int64_t>(field);
  } else {
    static_assert(std::is_floating_point_v<T>);
    return static_cast<double>(field);
  }
}

template <auto Section, auto Field>
void set_field(RuntimeConfig& config, const KnobValue& value) {
  auto& field = (config.*Section).*Field;
  using T = std::remove_cvref_t<decltype(field)>;
  if constexpr (std::is_same_v<T, bool>) {
    field = std::get<bool>(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    field = std::get<std::string>(value);
  } else if constexpr (std::is_enum_v<T>) {
    const auto& names = EnumNames<T>::names;
    const auto it = std::find(names.begin(), names.end(), std::get<std::string>(value));
    field = static_cast<T>(it - names.begin());
  } else if constexpr (std::is_integral_v<T>) {
    field = static_cast<T>(std::get<int64_t>(value));
  } else {
    field = static_cast<T>(std::get<double>(value));
  }
}

template <auto Section, auto Field>
Knob bool_knob(std::string_view name, std::string_view def, std::string_view help) {
  return {.name = name,
          .type = KnobType::kBool,
          .default_yaml = def,
          .help = help,
          .get = get_field<Section, Field>,
          .set = set_field<Section, Field>};
}

template <auto Section, auto Field>
Knob int_knob(std::string_view name, std::string_view def, IntRange range, std::string_view help) {
  return {.name = name,
          .type = KnobType::kInt,
          .default_yaml = def,
          .help = help,
          .ints = range,
          .get = get_field<Section, Field>,
          .set = set_field<Section, Field>};
}

template <auto Section, auto Field>
Knob float_knob(std::string_view name, std::string_view def, FloatRange range, std::string_view help) {
  return {.name = name,
          .type = KnobType::kFloat,
          .default_yaml = def,
          .help = help,
          .floats = range,
          .get = get_field<Section, Field>,
          .set = set_field<Section, Field>};
}

template <auto Section, auto Field>
Knob enum_knob(std::string_view name, std::string_view def, std::string_view help) {
  using E = std::remove_cvref_t<decltype(std::declval<RuntimeConfig>().*Section.*Field)>;
  return {.name = name,
          .type = KnobType::kEnum,
          .default_yaml = def,
          .help = help,
          .values = EnumNames<E>::names,
          .get = get_field<Section, Field>,
          .set = set_field<Section, Field>};
}

template <auto Section, auto Field>
Knob string_knob(std::string_view name, std::string_view def, std::span<const std::string_view> values,
                 std::string_view empty_means, std::string_view help) {
  return {.name = name,
          .type = KnobType::kString,
          .default_yaml = def,
          .help = help,
          .values = values,
          .empty_means = empty_means,
          .get = get_field<Section, Field>,
          .set = set_field<Section, Field>};
}

using C = RuntimeConfig;
constexpr int64_t kMaxTokens = int64_t{1} << 20;
constexpr double kNoLimit = std::numeric_limits<double>::infinity();
// The templates engine/tokenizer/chat_template.h renders.
constexpr std::array<std::string_view, 2> kChatTemplates = {"chatml", "llama3"};

// THE TABLE. Defaults are the shipped starting point's fallbacks (keys a YAML
// file leaves out); docs/surface.md explains each knob and its trade-offs.
const std::vector<Knob>& table() {
  static const std::vector<Knob> knobs = {
      int_knob<&C::threads, &C::Threads::count>(
          "threads.count", "1", {.min = 1, .max = 256, .special = 0, .special_means = "one per core"},
          "Worker threads for matvec, prefill and attention."),
      bool_knob<&C::threads, &C::Threads::pin>("threads.pin", "false",
                                               "Pin each worker thread to a core of its own."),

      enum_knob<&C::kv_cache, &C::KvCache::type>("kv_cache.type", "f32",
                                                 "Element type of the cached keys and values."),
      int_knob<&C::kv_cache, &C::KvCache::max_tokens>(
          "kv_cache.max_tokens", "0",
          {.min = 64, .max = kMaxTokens, .special = 0, .special_means = "the whole context, no rotation"},
          "Tokens the KV cache holds; when full, the oldest rotate out."),

      bool_knob<&C::prompt_cache, &C::PromptCache::enabled>(
          "prompt_cache.enabled", "false",
          "Reuse the KV cache of a prompt prefix the session has already evaluated."),

      float_knob<&C::sampling, &C::Sampling::temperature>(
          "sampling.temperature", "0.0", {.min = 0, .max = kNoLimit},
          "Softmax temperature; 0 = greedy (always the most likely token)."),
      int_knob<&C::sampling, &C::Sampling::top_k>(
          "sampling.top_k", "40", {.min = 1, .max = kMaxTokens, .special = 0, .special_means = "off"},
          "Keep only the k most likely tokens."),
      float_knob<&C::sampling, &C::Sampling::top_p>(
          "sampling.top_p", "0.95", {.min = 0, .max = 1, .min_open = true},
          "Keep the fewest most likely tokens whose probabilities reach p; 1 = off."),
      float_knob<&C::sampling, &C::Sampling::min_p>(
          "sampling.min_p", "0.05", {.min = 0, .max = 1, .max_open = true},
          "Drop tokens less likely than min_p times the most likely one; 0 = off."),
      float_knob<&C::sampling, &C::Sampling::repeat_penalty>(
          "sampling.repeat_penalty", "1.0", {.min = 0, .max = kNoLimit, .min_open = true},
          "Penalise the logits of recently seen tokens by this factor; 1 = off."),
      int_knob<&C::sampling, &C::Sampling::repeat_last_n>(
          "sampling.repeat_last_n", "64", {.min = 1, .max = kMaxTokens, .special = 0, .special_means = "off"},
          "How many recent tokens the repeat penalty looks at."),
      int_knob<&C::sampling, &C::Sampling::seed>(
          "sampling.seed", "0",
          {.min = 0, .max = std::numeric_limits<int64_t>::max(), .special = -1, .special_means = "random"},
          "Seed of the sampler's random numbers."),

      int_knob<&C::prefill, &C::Prefill::chunk_size>("prefill.chunk_size", "512", {.min = 1, .max = 4096},
                                                     "Prompt tokens evaluated per forward pass, at most (capped at the context and the window)."),
      enum_knob<&C::prefill, &C::Prefill::backend>(
          "prefill.backend", "native",
          "Who multiplies the prefill matrices: Lathe's kernels, OpenBLAS or Eigen."),
      enum_knob<&C::prefill, &C::Prefill::gemm_unit>(
          "prefill.gemm_unit", "auto",
          "Where the native prefill GEMM runs: auto = Intel AMX when the CPU and OS allow it, else the vector "
          "kernels; vnni = the AVX-512 VNNI kernels."),

      enum_knob<&C::kernels, &C::Kernels::matvec_layout>(
          "kernels.matvec_layout", "plain",
          "Weights as stored, or repacked at load where a kernel has a faster interleaved layout "
          "(avx512: Q5_0 rows up to 1024; the rest stays plain)."),

      bool_knob<&C::memory, &C::Memory::prefault>("memory.prefault", "false",
                                                  "Touch every weight page at load, before the first token."),
      bool_knob<&C::memory, &C::Memory::mlock>("memory.mlock", "false",
                                               "Lock the weights in RAM so they are never paged out."),
      bool_knob<&C::memory, &C::Memory::huge_pages>("memory.huge_pages", "false",
                                                    "Ask for huge pages for the weights and buffers."),

      int_knob<&C::context, &C::Context::length>(
          "context.length", "0", {.min = 16, .max = kMaxTokens, .special = 0, .special_means = "the model's"},
          "Context length in tokens."),

      string_knob<&C::chat, &C::Chat::template_name>("chat.template", "\"\"", kChatTemplates,
                                                     "the model file's template", "Chat template override."),

      string_knob<&C::tokenizer, &C::Tokenizer::pre_tokenizer>(
          "tokenizer.pre_tokenizer", "\"\"", {}, "the model file's tokenizer.ggml.pre",
          "Pre-tokenizer override (a name engine/tokenizer knows; checked when the model loads)."),
  };
  return knobs;
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "infinity" : "-infinity";
  return fmt::format("{}", v);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours each cost 1; letters compared case-insensitively.
size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

} // namespace

std::string_view knob_type_name(KnobType type) {
  switch (type) {
    case KnobType::kBool:
      return "bool";
    case KnobType::kInt:
      return "int";
    case KnobType::kFloat:
      return "float";
    case KnobType::kEnum:
      return "enum";
    case KnobType::kString:
      return "string";
  }
  return "?";
}

std::span<const Knob> knobs() { return table(); }

const Knob* find_knob(std::string_view name) {
  for (const Knob& knob : table()) {
    if (knob.name == name) return &knob;
  }
  return nullptr;
}

std::string allowed_text(const Knob& knob) {
  switch (knob.type) {
    case KnobType::kBool:
      return "true or false";
    case KnobType::kInt: {
      const IntRange& r = knob.ints;
      const std::string range = fmt::format("an integer in [{}, {}]", r.min, r.max);
      return r.special ? fmt::format("{} ({}) or {}", *r.special, r.special_means, range) : range;
    }
    case KnobType::kFloat: {
      const FloatRange& r = knob.floats;
      if (std::isinf(r.max))
        return fmt::format("a number {} {}", r.min_open ? ">" : ">=", format_number(r.min));
      return fmt::format("a number in {}{}, {}{}", r.min_open ? "(" : "[", format_number(r.min),
                         format_number(r.max), r.max_open ? ")" : "]");
    }
    case KnobType::kEnum:
      return fmt::format("one of {}", fmt::join(knob.values, ", "));
    case KnobType::kString:
      if (!knob.values.empty()) {
        return fmt::format("\"\" ({}) or one of {}", knob.empty_means, fmt::join(knob.values, ", "));
      }
      return fmt::format("\"\" ({}) or a name of lowercase letters, digits, '-', '_' and '.'",
                         knob.empty_means);
  }
  return {};
}

std::string check_knob_value(const Knob& knob, const KnobValue& value) {
  const auto problem = [&](const std::string& what, const std::string& suggestion = {}) {
    std::string text = fmt::format("{} (allowed: {})", what, allowed_text(knob));
    if (!suggestion.empty()) text += fmt::format("; did you mean {}?", suggestion);
    return text;
  };
  switch (knob.type) {
    case KnobType::kBool:
      return {};
    case KnobType::kInt: {
      const int64_t v = std::get<int64_t>(value);
      const IntRange& r = knob.ints;
      if ((r.special && v == *r.special) || (v >= r.min && v <= r.max)) return {};
      return problem(fmt::format("{} is out of range", v));
    }
    case KnobType::kFloat: {
      const double v = std::get<double>(value);
      const FloatRange& r = knob.floats;
      if (!std::isfinite(v)) return problem(fmt::format("{} is not a finite number", format_number(v)));
      const bool low_ok = r.min_open ? v > r.min : v >= r.min;
      const bool high_ok = r.max_open ? v < r.max : v <= r.max;
      if (low_ok && high_ok) return {};
      return problem(fmt::format("{} is out of range", format_number(v)));
    }
    case KnobType::kEnum: {
      const std::string& v = std::get<std::string>(value);
      if (std::find(knob.values.begin(), knob.values.end(), v) != knob.values.end()) return {};
      return problem(fmt::format("\"{}\" is not allowed", v), did_you_mean(v, knob.values));
    }
    case KnobType::kString: {
      const std::string& v = std::get<std::string>(value);
      if (v.empty()) return {};
      if (!knob.values.empty()) {
        if (std::find(knob.values.begin(), knob.values.end(), v) != knob.values.end()) return {};
        return problem(fmt::format("\"{}\" is not allowed", v), did_you_mean(v, knob.values));
      }
      if (std::all_of(v.begin(), v.end(), is_name_char)) return {};
      return problem(fmt::format("\"{}\" is not a name", v));
    }
  }
  return {};
}

std::string format_knob_value(const Knob& knob, const KnobValue& value) {
  switch (knob.type) {
    case KnobType::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case KnobType::kInt:
      return fmt::format("{}", std::get<int64_t>(value));
    case KnobType::kFloat: {
      // Shortest text that reads back as the same double; "1" becomes "1.0"
      // so that the YAML says float.
      std::string text = format_number(std::get<double>(value));
      if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
      return text;
    }
    case KnobType::kEnum:
      return std::get<std::string>(value);
    case KnobType::kString: {
      std::string out = "\"";
      for (const char c : std::get<std::string>(value)) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out + "\"";
    }
  }
  return {};
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  // Close enough to be a typo: within max(2, a quarter of the word's length)
  // edits, or sharing a prefix of at least 4 letters and half the word
  // ("sampler" for "sampling"); never a rewrite of the whole word or candidate.
  const size_t limit = std::max<size_t>(2, word.size() / 4);
  std::string_view best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string_view candidate : candidates) {
    const size_t d = edit_distance(word, candidate);
    size_t prefix = 0;
    while (prefix < word.size() && prefix < candidate.size() &&
           lower(word[prefix]) == lower(candidate[prefix])) {
      ++prefix;
    }
    const bool close = d <= limit || (prefix >= 4 && 2 * prefix >= word.size());
    if (close && d < best_distance && d < std::max(word.size(), candidate.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  return std::string(best);
}

} // namespace lathe
