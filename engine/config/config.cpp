#include "engine/config/config.h"

#include <fmt/format.h>
// GCC 12 reports -Wdangling-pointer false positives inside yaml-cpp 0.7's node
// headers (temporaries it keeps alive itself); the warning stays on for our code.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop
#else
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#endif

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include "engine/config/knobs.h"
#include "kernels/kernel_table.h"

namespace lathe {
namespace {

namespace fs = std::filesystem;

// Where a knob's value came from, for error messages. Later sources win:
// the declared default, then the file, then --set in order.
struct Origin {
  enum Rank { kDefault, kFile, kOverride } rank = kDefault;
  std::string where = "the default"; // "engine.yaml:3:10" or "--set threads.count=4"
  int64_t order = 0;                 // within a rank: the file's line, the override's index
};

size_t knob_index(const Knob& knob) { return static_cast<size_t>(&knob - knobs().data()); }

std::string node_kind(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  return "no value";
}

// A node's value for `knob`, or the problem (with the allowed values) in *problem.
// Numbers and booleans must be plain scalars: "4" in quotes is a string.
std::optional<KnobValue> parse_node(const Knob& knob, const YAML::Node& node, std::string* problem) {
  const auto fail = [&](const std::string& what) {
    *problem = fmt::format("{} (allowed: {})", what, allowed_text(knob));
    return std::nullopt;
  };
  if (node.IsNull() && knob.type == KnobType::kString) return KnobValue{std::string()};
  if (!node.IsScalar()) {
    if (node.IsNull()) return fail("has no value");
    return fail(fmt::format("expected {}, got {}",
                            knob.type == KnobType::kBool    ? "true or false"
                            : knob.type == KnobType::kInt   ? "an integer"
                            : knob.type == KnobType::kFloat ? "a number"
                                                            : "a single value",
                            node_kind(node)));
  }
  const std::string& text = node.Scalar();
  const bool quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
  switch (knob.type) {
    case KnobType::kBool:
      if (!quoted && (text == "true" || text == "True" || text == "TRUE")) return KnobValue{true};
      if (!quoted && (text == "false" || text == "False" || text == "FALSE")) return KnobValue{false};
      return fail(
          fmt::format("expected true or false, got {}", quoted ? "the string \"" + text + "\"" : text));
    case KnobType::kInt: {
      if (quoted) return fail(fmt::format("expected an integer, got the string \"{}\"", text));
      const std::string_view digits = text.starts_with('+') ? std::string_view(text).substr(1) : text;
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc::result_out_of_range) return fail(fmt::format("{} is out of range", text));
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
        return fail(fmt::format("expected an integer, got {}", text));
      }
      return KnobValue{v};
    }
    case KnobType::kFloat: {
      if (quoted) return fail(fmt::format("expected a number, got the string \"{}\"", text));
      if (text == ".inf" || text == "+.inf" || text == "-.inf" || text == ".nan" || text == ".Inf" ||
          text == ".NaN" || text == ".INF" || text == ".NAN" || text == "-.Inf" || text == "-.INF") {
        return fail(fmt::format("{} is not a finite number", text));
      }
      const std::string_view digits = text.starts_with('+') ? std::string_view(text).substr(1) : text;
      double v = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc::result_out_of_range) return fail(fmt::format("{} is out of range", text));
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
        return fail(fmt::format("expected a number, got {}", text));
      }
      return KnobValue{v};
    }
    case KnobType::kEnum:
    case KnobType::kString:
      return KnobValue{text};
  }
  return std::nullopt;
}

// The declared defaults, parsed once by the same code as any value.
const std::vector<KnobValue>& default_values() {
  static const std::vector<KnobValue> values = [] {
    std::vector<KnobValue> out;
    for (const Knob& knob : knobs()) {
      std::string problem;
      const std::optional<KnobValue> v =
          parse_node(knob, YAML::Load(std::string(knob.default_yaml)), &problem);
      if (v && problem.empty()) problem = check_knob_value(knob, *v);
      if (!problem.empty()) {
        throw std::logic_error(fmt::format("the declared default of {} is invalid: {}", knob.name, problem));
      }
      out.push_back(*v);
    }
    return out;
  }();
  return values;
}

// Collects one problem per line; thrown together once the whole input is read.
class Problems {
 public:
  void add(std::string_view where, std::string_view key, std::string_view problem) {
    lines_.push_back(fmt::format("{}: {}: {}", where, key, problem));
  }
  void throw_if_any() const {
    if (!lines_.empty()) throw ConfigError(fmt::format("{}", fmt::join(lines_, "\n")));
  }

 private:
  std::vector<std::string> lines_;
};

// Text from the input, safe to print: control and non-ASCII bytes escaped.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string at(const std::string& file, const YAML::Mark& mark) {
  return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

// Where each document of a YAML stream starts. Documents are counted with
// this rather than with YAML::LoadAll(), which in yaml-cpp 0.7 never returns
// on some invalid input (a stray ',' where a node should start: yaml-cpp
// issue #1040, fixed in 0.8): its parser stops consuming text and reports the
// same empty document forever, each one allocated.
struct DocumentStarts final : YAML::EventHandler {
  std::vector<YAML::Mark> starts; // where each document starts ("---" or its first node)
  std::vector<YAML::Mark> roots;  // where each document's root node starts
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}
  void node(const YAML::Mark& mark) {
    if (roots.size() < starts.size()) roots.push_back(mark);
  }
};

std::vector<std::string_view> knob_names() {
  std::vector<std::string_view> names;
  for (const Knob& knob : knobs()) names.push_back(knob.name);
  return names;
}

std::vector<std::string_view> section_names() {
  std::vector<std::string_view> names;
  for (const Knob& knob : knobs()) {
    if (names.empty() || names.back() != knob.section()) names.push_back(knob.section());
  }
  return names;
}

std::string keys_of(std::string_view section) {
  std::vector<std::string_view> keys;
  for (const Knob& knob : knobs()) {
    if (knob.section() == section) keys.push_back(knob.key());
  }
  return fmt::format("{}", fmt::join(keys, ", "));
}

// "; did you mean X?" for an unknown dotted name: the knob of the same key in
// another section, else the closest key of the same section, else the
// closest name.
std::string suggest_knob(std::string_view name) {
  const size_t dot = name.find('.');
  const std::string_view section = dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
  const std::string_view key = dot == std::string_view::npos ? name : name.substr(dot + 1);
  for (const Knob& knob : knobs()) {
    if (knob.key() == key) return fmt::format("; did you mean {}?", knob.name);
  }
  std::vector<std::string_view> keys;
  for (const Knob& knob : knobs()) {
    if (knob.section() == section) keys.push_back(knob.key());
  }
  std::string best;
  if (!keys.empty()) {
    const std::string best_key = did_you_mean(key, keys);
    if (!best_key.empty()) best = fmt::format("{}.{}", section, best_key);
  } else {
    best = did_you_mean(name, knob_names());
  }
  return best.empty() ? std::string() : fmt::format("; did you mean {}?", best);
}

std::string suggest_section(std::string_view section) {
  if (const Knob* knob = find_knob(section)) {
    return fmt::format("; knobs are nested by section: write {}: and below it, indented, {}: VALUE",
                       knob->section(), knob->key());
  }
  for (const Knob& knob : knobs()) {
    if (knob.key() == section) return fmt::format("; did you mean {}?", knob.name);
  }
  const std::vector<std::string_view> sections = section_names();
  const std::string best = did_you_mean(section, sections);
  return best.empty() ? std::string() : fmt::format("; did you mean {}?", best);
}

class Loader {
 public:
  Loader() : origins_(knobs().size()) {}

  void read_file(const fs::path& path) {
    const std::string file = path.string();
    const std::string text = read_text(path);
    if (const size_t nul = text.find('\0'); nul != std::string::npos) {
      throw ConfigError(fmt::format("{}: not a text file (a NUL byte at offset {})", file, nul));
    }
    YAML::Node root;
    try {
      // At most two documents are parsed (see DocumentStarts).
      std::istringstream in(text);
      YAML::Parser parser(in);
      DocumentStarts starts;
      while (starts.starts.size() < 2 && parser.HandleNextDocument(starts)) {
      }
      if (starts.starts.size() == 2) {
        const YAML::Mark& second = starts.starts[1];
        // A document that neither starts with "---" nor moves past the first
        // is the parser stuck on something it cannot read.
        if (second.pos == starts.starts[0].pos ||
            !std::string_view(text).substr(second.pos).starts_with("---")) {
          throw ConfigError(fmt::format("{}: invalid YAML: unexpected '{}'", at(file, second),
                                        printable(std::string_view(text).substr(second.pos, 1))));
        }
        throw ConfigError(
            fmt::format("{}: a second YAML document; a config file holds one mapping of sections",
                        at(file, starts.roots.size() == 2 ? starts.roots[1] : second)));
      }
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      throw ConfigError(fmt::format("{}: invalid YAML: {}", at(file, e.mark), printable(e.msg)));
    }
    if (root.IsNull()) return; // an empty file: every default
    if (!root.IsMap()) {
      throw ConfigError(fmt::format("{}: expected a mapping of sections ({}), got {}", at(file, root.Mark()),
                                    fmt::join(section_names(), ", "),
                                    root.IsSequence() ? "a sequence" : "a single value"));
    }
    std::vector<std::pair<std::string, std::string>> seen; // name, where
    const auto first_seen = [&](const std::string& name) -> const std::string* {
      for (const auto& [n, where] : seen) {
        if (n == name) return &where;
      }
      return nullptr;
    };
    // yaml-cpp's iterator-> returns a temporary: copy the nodes (cheap handles)
    // rather than bind references that dangle at the end of the statement.
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Node section_node = it->second;
      const std::string where = at(file, key_node.Mark());
      if (!key_node.IsScalar()) {
        problems_.add(where, "(key)", "a section name must be a plain word");
        continue;
      }
      const std::string section = key_node.Scalar();
      const std::vector<std::string_view> sections = section_names();
      if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
        problems_.add(where, section,
                      fmt::format("unknown section (sections: {}){}", fmt::join(sections, ", "),
                                  suggest_section(section)));
        continue;
      }
      if (const std::string* first = first_seen(section)) {
        problems_.add(where, section, fmt::format("duplicate section (first at {})", *first));
        continue;
      }
      seen.emplace_back(section, where);
      if (section_node.IsNull()) continue; // "threads:" with nothing below: every default
      if (!section_node.IsMap()) {
        problems_.add(where, section,
                      fmt::format("expected a mapping of keys ({}), got {}", keys_of(section),
                                  section_node.IsSequence() ? "a sequence" : "a single value"));
        continue;
      }
      for (auto kv = section_node.begin(); kv != section_node.end(); ++kv) {
        const YAML::Node key = kv->first;
        const YAML::Node value = kv->second;
        const std::string key_where = at(file, key.Mark());
        if (!key.IsScalar()) {
          problems_.add(key_where, section, "a key must be a plain word");
          continue;
        }
        const std::string name = section + "." + key.Scalar();
        const Knob* knob = find_knob(name);
        if (!knob) {
          problems_.add(
              key_where, name,
              fmt::format("unknown key (keys of {}: {}){}", section, keys_of(section), suggest_knob(name)));
          continue;
        }
        if (const std::string* first = first_seen(name)) {
          problems_.add(key_where, name, fmt::format("duplicate key (first at {})", *first));
          continue;
        }
        seen.emplace_back(name, key_where);
        // A missing value has no position of its own: point at its key.
        const std::string value_where = value.IsNull() ? key_where : at(file, value.Mark());
        apply(*knob, value, {Origin::kFile, value_where, key.Mark().line});
      }
    }
  }

  void apply_override(const std::string& arg) {
    const std::string where = "--set " + arg;
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      problems_.add(where, arg, "expected key=value, e.g. --set threads.count=4");
      return;
    }
    const std::string name = arg.substr(0, eq);
    const Knob* knob = find_knob(name);
    if (!knob) {
      const std::vector<std::string_view> sections = section_names();
      if (std::find(sections.begin(), sections.end(), name) != sections.end()) {
        problems_.add(where, name,
                      fmt::format("a section, not a key: name one of its keys ({}) as {}.KEY=VALUE",
                                  keys_of(name), name));
      } else {
        problems_.add(where, name, fmt::format("unknown key{}", suggest_knob(name)));
      }
      return;
    }
    YAML::Node value;
    try {
      value = YAML::Load(arg.substr(eq + 1));
    } catch (const YAML::ParserException& e) {
      problems_.add(
          where, name,
          fmt::format("invalid YAML value: {} (allowed: {})", printable(e.msg), allowed_text(*knob)));
      return;
    }
    apply(*knob, value, {Origin::kOverride, where, n_overrides_++});
  }

  // Impossible combinations, checked once every value is in. Each message
  // names both keys and where each value came from.
  void check_combinations() {
    const RuntimeConfig& c = config_;
    const int64_t context = c.context.length;
    const int64_t window = c.kv_cache.max_tokens;
    if (context > 0 && window > context) {
      combination("kv_cache.max_tokens", "context.length",
                  "a rotating window cannot be longer than the context",
                  "kv_cache.max_tokens <= context.length, or either of them 0");
    }
    // prefill.chunk_size is an upper bound: a session caps it at the context
    // and at the window (engine/runtime/session.h), so it conflicts with neither.
  }

  RuntimeConfig finish() {
    problems_.throw_if_any();
    check_combinations();
    problems_.throw_if_any();
    return config_;
  }

 private:
  static std::string read_text(const fs::path& path) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) throw ConfigError(fmt::format("{}: config file not found", path.string()));
    if (fs::is_directory(status)) {
      throw ConfigError(fmt::format("{}: is a directory, not a config file", path.string()));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw ConfigError(fmt::format("{}: cannot read config file: {}", path.string(), std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(fmt::format("{}: error reading config file", path.string()));
    return text.str();
  }

  void apply(const Knob& knob, const YAML::Node& node, Origin origin) {
    std::string problem;
    const std::optional<KnobValue> value = parse_node(knob, node, &problem);
    if (value) problem = check_knob_value(knob, *value);
    if (!problem.empty()) {
      problems_.add(origin.where, knob.name, problem);
      return;
    }
    knob.set(config_, *value);
    origins_[knob_index(knob)] = std::move(origin);
  }

  // Reported at the value set last (an override before the file, the file
  // before a default; in the file, the later line), naming the other one and
  // where it came from.
  void combination(std::string_view a_name, std::string_view b_name, std::string_view why,
                   std::string_view allowed) {
    const Knob* lead = find_knob(a_name);
    const Knob* other = find_knob(b_name);
    if (set_later(origins_[knob_index(*other)], origins_[knob_index(*lead)])) std::swap(lead, other);
    const auto value = [&](const Knob& k) { return format_knob_value(k, k.get(config_)); };
    problems_.add(origins_[knob_index(*lead)].where, lead->name,
                  fmt::format("{} conflicts with {} {} ({}): {} (allowed: {})", value(*lead), other->name,
                              value(*other), origins_[knob_index(*other)].where, why, allowed));
  }

  static bool set_later(const Origin& a, const Origin& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.order > b.order;
  }

  RuntimeConfig config_;
  std::vector<Origin> origins_; // by knob index
  int64_t n_overrides_ = 0;
  Problems problems_;
};

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

} // namespace

RuntimeConfig::RuntimeConfig() {
  const std::vector<KnobValue>& defaults = default_values();
  for (const Knob& knob : knobs()) knob.set(*this, defaults[knob_index(knob)]);
}

RuntimeConfig load_config(const std::filesystem::path& file, std::span<const std::string> overrides) {
  Loader loader;
  loader.read_file(file);
  for (const std::string& arg : overrides) loader.apply_override(arg);
  return loader.finish();
}

void require_implemented(const RuntimeConfig& config, bool loader_repacks) {
  if (config.kernels.matvec_layout == MatvecLayout::kRepacked) {
    if (!loader_repacks) {
      throw ConfigError(
          "kernels.matvec_layout: repacked is not available here: this program loads the weights plain (the lathe "
          "commands repack them) (allowed: plain)");
    }
    const kernels::KernelTable& k = kernels::active_kernels();
    bool offered = false;
    for (const kernels::QuantType type : {kernels::QuantType::Q4_0, kernels::QuantType::Q4_1,
                                          kernels::QuantType::Q5_0, kernels::QuantType::Q5_1,
                                          kernels::QuantType::Q8_0, kernels::QuantType::Q4_K,
                                          kernels::QuantType::Q5_K, kernels::QuantType::Q6_K}) {
      const kernels::LinearKernels* lk = k.linear(type);
      offered = offered || (lk && lk->repacked.matvec);
    }
    if (!offered) {
      throw ConfigError(fmt::format(
          "kernels.matvec_layout: repacked is not available: no kernel of this build ({}) offers an interleaved "
          "weight layout (the avx512 build has Q5_0's) (allowed: plain)",
          k.isa));
    }
  }
}

std::string to_yaml(const RuntimeConfig& config) {
  std::string out;
  std::string_view section;
  for (const Knob& knob : knobs()) {
    if (knob.section() != section) {
      section = knob.section();
      out += fmt::format("{}:\n", section);
    }
    out += fmt::format("  {}: {}\n", knob.key(), format_knob_value(knob, knob.get(config)));
  }
  return out;
}

std::filesystem::path default_config_path() {
  if (const char* env = std::getenv("LATHE_CONFIG"); env && *env) {
    std::error_code ec;
    if (!fs::exists(env, ec)) throw ConfigError(fmt::format("LATHE_CONFIG={}: config file not found", env));
    return env;
  }
  std::vector<fs::path> searched;
#ifdef LATHE_SOURCE_CONFIG
  searched.emplace_back(LATHE_SOURCE_CONFIG);
#endif
  if (const fs::path dir = executable_dir(); !dir.empty()) searched.push_back(dir / "engine.yaml");
  for (const fs::path& path : searched) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return path;
  }
  std::vector<std::string> names;
  for (const fs::path& path : searched) names.push_back(path.string());
  throw ConfigError(
      fmt::format("no configuration found: set LATHE_CONFIG or pass --config FILE (looked for {})",
                  names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
}

} // namespace lathe
