// The runtime configuration: how the engine runs a model (threads, KV cache,
// sampling, prefill, kernel layouts, memory), as opposed to what the model is
// (ModelConfig, read from GGUF).
//
// Every knob is declared once, in the table of knobs.cpp: its dotted name,
// type, default, allowed values and help. That table drives YAML parsing,
// validation, --set overrides, `lathe config --help` and to_yaml(). The
// fields below only give each knob a typed home; a RuntimeConfig is made by
// its constructor (every knob at its declared default) or by load_config().
//
// The effective configuration is: declared defaults <- one YAML file (the
// shipped configs/engine.yaml, or --config FILE instead of it) <- --set
// key=value overrides, later ones winning. docs/surface.md explains each knob.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lathe {

// A configuration that does not validate: the message names the place
// ("configs/engine.yaml:3:10" or "--set threads.count=0"), the key, the
// problem and what is allowed. Several problems are reported one per line.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Element type of the key/value cache.
enum class KvCacheType { kF32, kF16, kQ8_0, kQ4_0 };
// Who computes the prefill matrix products.
enum class PrefillBackend { kNative, kOpenBlas, kEigen };
// Which unit runs the native prefill GEMM: AMX where usable, else the vector
// kernels (auto), or the AVX-512 VNNI kernels always (vnni).
enum class PrefillGemmUnit { kAuto, kVnni };
// Weight layout the matvec kernels read: as stored in the file, or repacked
// (interleaved rows) at load for every quant type whose kernels offer one.
enum class MatvecLayout { kPlain, kRepacked };

// The YAML spelling of each enumerator, in enumerator order.
template <typename E>
struct EnumNames;
template <>
struct EnumNames<KvCacheType> {
  static constexpr std::array<std::string_view, 4> names = {"f32", "f16", "q8_0", "q4_0"};
};
template <>
struct EnumNames<PrefillBackend> {
  static constexpr std::array<std::string_view, 3> names = {"native", "openblas", "eigen"};
};
template <>
struct EnumNames<PrefillGemmUnit> {
  static constexpr std::array<std::string_view, 2> names = {"auto", "vnni"};
};
template <>
struct EnumNames<MatvecLayout> {
  static constexpr std::array<std::string_view, 2> names = {"plain", "repacked"};
};

template <typename E>
constexpr std::string_view enum_name(E value) {
  return EnumNames<E>::names[static_cast<size_t>(value)];
}

struct RuntimeConfig {
  struct Threads {
    int count; // worker threads; 0 = all cores
    bool pin;  // pin each worker to one core
    bool operator==(const Threads&) const = default;
  };
  struct KvCache {
    KvCacheType type;
    int64_t max_tokens; // rotating window in tokens; 0 = the whole context, no rotation
    bool operator==(const KvCache&) const = default;
  };
  struct PromptCache {
    bool enabled; // reuse the KV of a prompt prefix already in the session
    bool operator==(const PromptCache&) const = default;
  };
  struct Sampling {
    double temperature;    // >= 0; 0 = greedy
    int32_t top_k;         // 0 = off
    double top_p;          // (0, 1]; 1 = off
    double min_p;          // [0, 1); 0 = off
    double repeat_penalty; // > 0; 1 = off
    int32_t repeat_last_n; // 0 = off
    int64_t seed;          // -1 = a random seed per run
    bool operator==(const Sampling&) const = default;
  };
  struct Prefill {
    int64_t chunk_size; // prompt tokens per forward pass
    PrefillBackend backend;
    PrefillGemmUnit gemm_unit; // native backend only
    bool operator==(const Prefill&) const = default;
  };
  struct Kernels {
    MatvecLayout matvec_layout;
    bool operator==(const Kernels&) const = default;
  };
  struct Memory {
    bool prefault;   // touch every weight page at load
    bool mlock;      // lock the weights in RAM
    bool huge_pages; // back the mapping / buffers with huge pages
    bool operator==(const Memory&) const = default;
  };
  struct Context {
    int64_t length; // tokens; 0 = the model's
    bool operator==(const Context&) const = default;
  };
  struct Chat {
    std::string template_name; // YAML `chat.template`; "" = the file's template, else chatml | llama3
    bool operator==(const Chat&) const = default;
  };
  struct Tokenizer {
    std::string pre_tokenizer; // "" = the file's tokenizer.ggml.pre
    bool operator==(const Tokenizer&) const = default;
  };

  Threads threads;
  KvCache kv_cache;
  PromptCache prompt_cache;
  Sampling sampling;
  Prefill prefill;
  Kernels kernels;
  Memory memory;
  Context context;
  Chat chat;
  Tokenizer tokenizer;

  // Every knob at its declared default.
  RuntimeConfig();
  bool operator==(const RuntimeConfig&) const = default;
};

// Reads `file` (YAML: sections of keys, e.g. `threads:` then `count: 4`),
// applies `overrides` ("section.key=value", the value a YAML scalar) in order,
// and validates the result: unknown keys (with a did-you-mean), wrong types,
// values out of range and impossible combinations. Keys the file leaves out
// keep their declared defaults.
// Throws ConfigError naming file:line:column (1-based) or the --set argument.
RuntimeConfig load_config(const std::filesystem::path& file, std::span<const std::string> overrides = {});

// The configuration as YAML, every knob in declaration order; load_config()
// of this text gives back an equal RuntimeConfig.
std::string to_yaml(const RuntimeConfig& config);

// Throws ConfigError for a knob value that validates but that this build or
// this caller cannot act on, so that it is refused rather than silently
// ignored: kernels.matvec_layout: repacked when no kernel of the build offers
// an interleaved layout, or when the caller's loader does not repack
// (loader_repacks false: the harness, which loads its own way).
void require_implemented(const RuntimeConfig& config, bool loader_repacks = false);

// The configuration every command loads when none is given:
//   1. $LATHE_CONFIG when set and non-empty;
//   2. the source tree's configs/engine.yaml (its path compiled in) if it exists;
//   3. engine.yaml next to the lathe binary if it exists.
// Throws ConfigError naming the places searched when none of them exists.
std::filesystem::path default_config_path();

} // namespace lathe
