// The runtime configuration: the shipped file validates, every knob refuses
// its wrong types and out-of-range values with file:line:column, key and the
// allowed values; unknown keys get a did-you-mean; impossible combinations,
// --set overrides, the to_yaml round trip, and unreadable or garbled files.
//
// Invalid inputs are generated from the knob table itself, so a knob added
// to the table is tested without touching this file.
#include "engine/config/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/knobs.h"

namespace lathe {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = fs::path(LATHE_TEST_DATA_DIR).parent_path();

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string fmt_value(double v) { return fmt::format("{}", v); }

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lathe-config-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `text` to a new file of the temp dir and returns its path.
  fs::path write(const std::string& text) {
    const fs::path path = dir_ / ("config" + std::to_string(n_files_++) + ".yaml");
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The ConfigError message of loading `file` with `overrides` ("" and a
  // test failure when it loads).
  static std::string error_of(const fs::path& file, const std::vector<std::string>& overrides = {}) {
    try {
      load_config(file, overrides);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "loaded without an error: " << file << "\n" << read_text(file);
    return {};
  }

  // One knob set to `value` (YAML text): "section:\n  key: value\n". The value
  // starts on line 2 at column len(key) + 5.
  fs::path write_knob(const Knob& knob, const std::string& value) {
    return write(std::string(knob.section()) + ":\n  " + std::string(knob.key()) + ": " + value + "\n");
  }
  static std::string value_location(const fs::path& file, const Knob& knob) {
    return file.string() + ":2:" + std::to_string(knob.key().size() + 5) + ": " + std::string(knob.name) +
           ": ";
  }

  fs::path dir_;
  int n_files_ = 0;
};

// ---------------------------------------------------------------- the table

TEST(KnobTable, NamesAreUniqueDottedAndSectionsContiguous) {
  std::vector<std::string_view> names, sections;
  for (const Knob& knob : knobs()) {
    EXPECT_EQ(std::count(knob.name.begin(), knob.name.end(), '.'), 1) << knob.name;
    EXPECT_EQ(std::count(names.begin(), names.end(), knob.name), 0) << "duplicate " << knob.name;
    names.push_back(knob.name);
    if (sections.empty() || sections.back() != knob.section()) {
      EXPECT_EQ(std::count(sections.begin(), sections.end(), knob.section()), 0)
          << "section " << knob.section() << " is split";
      sections.push_back(knob.section());
    }
    EXPECT_FALSE(knob.help.empty()) << knob.name;
    EXPECT_EQ(find_knob(knob.name), &knob);
  }
  EXPECT_EQ(find_knob("threads.nope"), nullptr);
}

TEST(KnobTable, DefaultConstructorHoldsTheDeclaredDefaults) {
  const RuntimeConfig config;
  for (const Knob& knob : knobs()) {
    // The declared defaults are written the way format_knob_value() prints them.
    EXPECT_EQ(format_knob_value(knob, knob.get(config)), knob.default_yaml) << knob.name;
    EXPECT_EQ(check_knob_value(knob, knob.get(config)), "") << knob.name;
  }
}

TEST(RequireImplemented, RepackedIsRefusedWhereNothingRepacks) {
  RuntimeConfig config;
  EXPECT_NO_THROW(require_implemented(config));
  config.kernels.matvec_layout = MatvecLayout::kRepacked;
  // A caller whose loader does not repack (the harness) refuses it, naming why.
  try {
    require_implemented(config);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("kernels.matvec_layout: repacked is not available here: this program loads "
                                         "the weights plain"),
              std::string::npos)
        << e.what();
  }
}

TEST(KnobTable, EnumKnobsListTheEnumNames) {
  EXPECT_EQ(enum_name(KvCacheType::kQ8_0), "q8_0");
  EXPECT_EQ(enum_name(PrefillBackend::kOpenBlas), "openblas");
  EXPECT_EQ(enum_name(PrefillGemmUnit::kVnni), "vnni");
  EXPECT_EQ(enum_name(MatvecLayout::kRepacked), "repacked");
  const Knob* kv = find_knob("kv_cache.type");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(std::vector<std::string_view>(kv->values.begin(), kv->values.end()),
            std::vector<std::string_view>(EnumNames<KvCacheType>::names.begin(),
                                          EnumNames<KvCacheType>::names.end()));
}

TEST(KnobTable, AllowedTextStatesRangesAndSpecialValues) {
  EXPECT_EQ(allowed_text(*find_knob("threads.count")), "0 (one per core) or an integer in [1, 256]");
  EXPECT_EQ(allowed_text(*find_knob("sampling.top_p")), "a number in (0, 1]");
  EXPECT_EQ(allowed_text(*find_knob("sampling.min_p")), "a number in [0, 1)");
  EXPECT_EQ(allowed_text(*find_knob("sampling.temperature")), "a number >= 0");
  EXPECT_EQ(allowed_text(*find_knob("sampling.repeat_penalty")), "a number > 0");
  EXPECT_EQ(allowed_text(*find_knob("kv_cache.type")), "one of f32, f16, q8_0, q4_0");
  EXPECT_EQ(allowed_text(*find_knob("chat.template")),
            "\"\" (the model file's template) or one of chatml, llama3");
  EXPECT_EQ(allowed_text(*find_knob("threads.pin")), "true or false");
}

TEST(DidYouMean, FindsTyposAndIgnoresStrangers) {
  const std::vector<std::string_view> words = {"threads", "kv_cache", "sampling", "prefill"};
  EXPECT_EQ(did_you_mean("thraeds", words), "threads"); // transposition
  EXPECT_EQ(did_you_mean("Threads", words), "threads"); // case
  EXPECT_EQ(did_you_mean("kvcache", words), "kv_cache");
  EXPECT_EQ(did_you_mean("sampler", words), "sampling"); // shared prefix
  EXPECT_EQ(did_you_mean("prefil", words), "prefill");
  EXPECT_EQ(did_you_mean("xyzzy", words), "");
  EXPECT_EQ(did_you_mean("", words), "");
  const std::vector<std::string_view> types = {"f32", "f16", "q8_0", "q4_0"};
  EXPECT_EQ(did_you_mean("q8", types), "q8_0");
  EXPECT_EQ(did_you_mean("F16", types), "f16");
  EXPECT_EQ(did_you_mean("xy", types), "");
}

// ------------------------------------------------------------ shipped files

TEST_F(ConfigTest, ShippedDefaultValidates) {
  const fs::path shipped = kSourceDir / "configs" / "engine.yaml";
  ASSERT_TRUE(fs::exists(shipped)) << shipped;
  EXPECT_NO_THROW(load_config(shipped));
}

TEST_F(ConfigTest, ShippedConfigAndDocsNameEveryKnob) {
  // The shipped file spells out the whole surface, and docs/surface.md
  // explains every knob by its dotted name.
  const std::string shipped = read_text(kSourceDir / "configs" / "engine.yaml");
  const std::string docs = read_text(kSourceDir / "docs" / "surface.md");
  ASSERT_FALSE(docs.empty()) << "docs/surface.md is missing";
  for (const Knob& knob : knobs()) {
    EXPECT_NE(shipped.find("\n" + std::string(knob.section()) + ":\n"), std::string::npos) << knob.section();
    EXPECT_NE(shipped.find("  " + std::string(knob.key()) + ":"), std::string::npos) << knob.name;
    EXPECT_NE(docs.find("`" + std::string(knob.name) + "`"), std::string::npos) << knob.name;
  }
}

TEST_F(ConfigTest, DefaultConfigPathPrefersTheEnvironment) {
  const fs::path mine = write("threads:\n  count: 2\n");
  ASSERT_EQ(setenv("LATHE_CONFIG", mine.c_str(), 1), 0);
  EXPECT_EQ(default_config_path(), mine);
  // A LATHE_CONFIG that names no file is an error, not a silent fallback.
  ASSERT_EQ(setenv("LATHE_CONFIG", "/no/such/engine.yaml", 1), 0);
  try {
    default_config_path();
    ADD_FAILURE() << "no error for a missing LATHE_CONFIG file";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "LATHE_CONFIG=/no/such/engine.yaml: config file not found");
  }
  ASSERT_EQ(unsetenv("LATHE_CONFIG"), 0);
  // Without it: the source tree's configs/engine.yaml, compiled in.
  const fs::path found = default_config_path();
  EXPECT_TRUE(fs::equivalent(found, kSourceDir / "configs" / "engine.yaml")) << found;
}

// ----------------------------------------------------------- valid inputs

TEST_F(ConfigTest, EmptyFileCommentsAndEmptySectionsGiveTheDefaults) {
  EXPECT_EQ(load_config(write("")), RuntimeConfig());
  EXPECT_EQ(load_config(write("# nothing but a comment\n")), RuntimeConfig());
  EXPECT_EQ(load_config(write("threads:\nsampling:\n")), RuntimeConfig());
}

TEST_F(ConfigTest, ReadsEveryKindOfValue) {
  const RuntimeConfig c = load_config(write(R"(threads:
  count: 8
  pin: true
kv_cache:
  type: q8_0
  max_tokens: 2048
sampling:
  temperature: 0.7
  top_p: 1
  seed: -1
prefill:
  backend: openblas
chat:
  template: llama3
tokenizer:
  pre_tokenizer: llama-bpe
context:
  length: +4096
)"));
  EXPECT_EQ(c.threads.count, 8);
  EXPECT_TRUE(c.threads.pin);
  EXPECT_EQ(c.kv_cache.type, KvCacheType::kQ8_0);
  EXPECT_EQ(c.kv_cache.max_tokens, 2048);
  EXPECT_EQ(c.sampling.temperature, 0.7);
  EXPECT_EQ(c.sampling.top_p, 1.0);
  EXPECT_EQ(c.sampling.seed, -1);
  EXPECT_EQ(c.prefill.backend, PrefillBackend::kOpenBlas);
  EXPECT_EQ(c.chat.template_name, "llama3");
  EXPECT_EQ(c.tokenizer.pre_tokenizer, "llama-bpe");
  EXPECT_EQ(c.context.length, 4096);
  EXPECT_EQ(c.sampling.top_k, RuntimeConfig().sampling.top_k); // untouched keys keep their defaults
}

TEST_F(ConfigTest, EveryBoundAndEveryEnumValueIsAcceptedAndFitsItsField) {
  for (const Knob& knob : knobs()) {
    std::vector<std::string> good;
    switch (knob.type) {
      case KnobType::kBool:
        good = {"true", "false", "True", "FALSE"};
        break;
      case KnobType::kInt:
        good = {std::to_string(knob.ints.min), std::to_string(knob.ints.max)};
        if (knob.ints.special) good.push_back(std::to_string(*knob.ints.special));
        break;
      case KnobType::kFloat:
        if (!knob.floats.min_open) good.push_back(fmt_value(knob.floats.min));
        if (!knob.floats.max_open && std::isfinite(knob.floats.max))
          good.push_back(fmt_value(knob.floats.max));
        good.push_back(fmt_value(std::isfinite(knob.floats.max) ? (knob.floats.min + knob.floats.max) / 2
                                                                : knob.floats.min + 1e6));
        break;
      case KnobType::kEnum:
      case KnobType::kString:
        for (const std::string_view v : knob.values) good.emplace_back(v);
        if (knob.type == KnobType::kString) good.insert(good.end(), {"\"\"", "''", "", "qwen2"});
        break;
    }
    for (const std::string& value : good) {
      if (knob.type == KnobType::kString && !knob.values.empty() && value == "qwen2") continue;
      // Bounds that cannot be combined with the other defaults are not the point here.
      std::vector<std::string> relax = {"context.length=0", "kv_cache.max_tokens=0", "prefill.chunk_size=1"};
      SCOPED_TRACE(std::string(knob.name) + ": " + value);
      const fs::path file = write_knob(knob, value);
      RuntimeConfig c;
      std::vector<std::string> overrides;
      for (const std::string& r : relax) {
        if (r.rfind(std::string(knob.name) + "=", 0) != 0) overrides.push_back(r);
      }
      ASSERT_NO_THROW(c = load_config(file, overrides));
      // Reads back exactly: the value fitted the field's type.
      const std::string printed = format_knob_value(knob, knob.get(c));
      const RuntimeConfig again = load_config(write_knob(knob, printed), overrides);
      EXPECT_EQ(again, c);
      if (knob.type == KnobType::kInt) {
        EXPECT_EQ(printed, value);
      }
    }
  }
}

// ------------------------------------------------- invalid values, per knob

// Values of the wrong type for `knob`, as YAML text.
std::vector<std::string> wrong_types(const Knob& knob) {
  switch (knob.type) {
    case KnobType::kBool:
      return {"yes", "1", "\"true\"", "[true]", "{a: 1}"};
    case KnobType::kInt:
      return {"1.5", "four", "\"4\"", "[1]", "{a: 1}", "0x10", "99999999999999999999999"};
    case KnobType::kFloat:
      return {"abc", "\"0.5\"", ".nan", ".inf", "[0.5]", "{a: 1}", "1e999"};
    case KnobType::kEnum:
      return {"nope", "[f32]", "{a: 1}", "\"\""};
    case KnobType::kString:
      return {"[a]", "{a: b}"};
  }
  return {};
}

// Values of the right type that the knob does not allow.
std::vector<std::string> out_of_range(const Knob& knob) {
  std::vector<std::string> out;
  switch (knob.type) {
    case KnobType::kBool:
      break;
    case KnobType::kInt: {
      const IntRange& r = knob.ints;
      int64_t below = r.min - 1;
      if (r.special && *r.special == below) --below;
      out.push_back(std::to_string(below));
      if (r.max < std::numeric_limits<int64_t>::max()) out.push_back(std::to_string(r.max + 1));
      if (r.special && *r.special < r.min - 1) out.push_back(std::to_string(*r.special + 1));
      break;
    }
    case KnobType::kFloat: {
      const FloatRange& r = knob.floats;
      out.push_back(r.min_open ? fmt_value(r.min) : fmt_value(r.min - 0.5));
      if (std::isfinite(r.max)) out.push_back(r.max_open ? fmt_value(r.max) : fmt_value(r.max + 0.5));
      break;
    }
    case KnobType::kEnum:
      out.push_back(std::string(knob.values[0]) + "x");
      break;
    case KnobType::kString:
      out.push_back(knob.values.empty() ? "\"Not A Name\"" : "nope");
      break;
  }
  return out;
}

TEST_F(ConfigTest, EveryKnobRejectsWrongTypesWithFileLineColumnKeyAndAllowed) {
  for (const Knob& knob : knobs()) {
    for (const std::string& value : wrong_types(knob)) {
      SCOPED_TRACE(std::string(knob.name) + ": " + value);
      const fs::path file = write_knob(knob, value);
      const std::string error = error_of(file);
      EXPECT_EQ(error.rfind(value_location(file, knob), 0), 0u) << error;
      EXPECT_NE(error.find("(allowed: " + allowed_text(knob) + ")"), std::string::npos) << error;
      EXPECT_EQ(error.find('\n'), std::string::npos) << "one problem, one line: " << error;
    }
  }
}

TEST_F(ConfigTest, EveryKnobRejectsValuesOutOfRange) {
  for (const Knob& knob : knobs()) {
    for (const std::string& value : out_of_range(knob)) {
      SCOPED_TRACE(std::string(knob.name) + ": " + value);
      const fs::path file = write_knob(knob, value);
      const std::string error = error_of(file);
      EXPECT_EQ(error.rfind(value_location(file, knob), 0), 0u) << error;
      EXPECT_NE(error.find("(allowed: " + allowed_text(knob) + ")"), std::string::npos) << error;
      if (knob.type == KnobType::kInt || knob.type == KnobType::kFloat) {
        EXPECT_NE(error.find(value + " is out of range"), std::string::npos) << error;
      }
    }
  }
}

TEST_F(ConfigTest, BadEnumAndTemplateNamesGetASuggestion) {
  fs::path file = write("kv_cache:\n  type: q8\n");
  EXPECT_EQ(error_of(file),
            file.string() +
                ":2:9: kv_cache.type: \"q8\" is not allowed (allowed: one of f32, f16, q8_0, q4_0); "
                "did you mean q8_0?");
  file = write("chat:\n  template: ChatML\n");
  EXPECT_NE(error_of(file).find("did you mean chatml?"), std::string::npos);
  file = write("prefill:\n  backend: blas\n");
  EXPECT_NE(error_of(file).find("one of native, openblas, eigen"), std::string::npos);
  file = write("prefill:\n  gemm_unit: amx\n");
  EXPECT_EQ(error_of(file), file.string() +
                                ":2:14: prefill.gemm_unit: \"amx\" is not allowed (allowed: one of auto, vnni)");
}

TEST_F(ConfigTest, MissingValueIsAnErrorAtItsKeyButAnEmptyString) {
  fs::path file = write("threads:\n  count:\n  pin: true\n");
  EXPECT_EQ(error_of(file).rfind(file.string() + ":2:3: threads.count: has no value (allowed: ", 0), 0u);
  file = write("chat:\n  template:\ntokenizer:\n  pre_tokenizer: ~\n");
  const RuntimeConfig c = load_config(file);
  EXPECT_EQ(c.chat.template_name, "");
  EXPECT_EQ(c.tokenizer.pre_tokenizer, "");
}

// ------------------------------------------------------------ unknown keys

TEST_F(ConfigTest, UnknownKeysNameThePlaceAndSuggestTheNearestKnob) {
  fs::path file = write("threads:\n  count: 2\n  cont: 4\n");
  EXPECT_EQ(error_of(file), file.string() +
                                ":3:3: threads.cont: unknown key (keys of threads: count, pin); "
                                "did you mean threads.count?");

  file = write("sampler:\n  temperature: 0.5\n");
  std::string error = error_of(file);
  EXPECT_EQ(error.rfind(file.string() + ":1:1: sampler: unknown section (sections: threads, ", 0), 0u)
      << error;
  EXPECT_NE(error.find("did you mean sampling?"), std::string::npos) << error;

  // The right key in the wrong section.
  file = write("sampling:\n  chunk_size: 128\n");
  EXPECT_NE(error_of(file).find(":2:3: sampling.chunk_size: unknown key"), std::string::npos);
  EXPECT_NE(error_of(file).find("did you mean prefill.chunk_size?"), std::string::npos);

  // A key without its section, and a dotted name written flat.
  file = write("temperature: 0.5\n");
  EXPECT_NE(error_of(file).find("did you mean sampling.temperature?"), std::string::npos);
  file = write("threads.count: 4\n");
  EXPECT_NE(error_of(file).find("knobs are nested by section: write threads: and below it, indented, count:"),
            std::string::npos);

  // Nothing close: no suggestion.
  file = write("memory:\n  xyzzy: 1\n");
  error = error_of(file);
  EXPECT_NE(error.find(":2:3: memory.xyzzy: unknown key (keys of memory: prefault, mlock, huge_pages)"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("did you mean"), std::string::npos) << error;
}

TEST_F(ConfigTest, DuplicateKeysAndSectionsAreErrors) {
  fs::path file = write("threads:\n  count: 2\n  count: 4\n");
  EXPECT_EQ(error_of(file),
            file.string() + ":3:3: threads.count: duplicate key (first at " + file.string() + ":2:3)");
  file = write("threads:\n  count: 2\nthreads:\n  pin: true\n");
  EXPECT_EQ(error_of(file),
            file.string() + ":3:1: threads: duplicate section (first at " + file.string() + ":1:1)");
}

TEST_F(ConfigTest, WrongShapesAreErrors) {
  fs::path file = write("- threads\n- sampling\n");
  EXPECT_NE(error_of(file).find(file.string() + ":1:1: expected a mapping of sections"), std::string::npos);
  file = write("just a string\n");
  EXPECT_NE(error_of(file).find("expected a mapping of sections"), std::string::npos);
  file = write("threads: 4\n");
  EXPECT_EQ(error_of(file),
            file.string() + ":1:1: threads: expected a mapping of keys (count, pin), got a single value");
}

TEST_F(ConfigTest, EveryProblemIsReportedOneALine) {
  const fs::path file = write("threads:\n  count: 999\nkv_cache:\n  type: f8\nsampling:\n  top_p: 2\n");
  const std::string error = error_of(file);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 2) << error;
  EXPECT_NE(error.find(":2:10: threads.count:"), std::string::npos);
  EXPECT_NE(error.find(":4:9: kv_cache.type:"), std::string::npos);
  EXPECT_NE(error.find(":6:10: sampling.top_p:"), std::string::npos);
}

// ---------------------------------------------------- impossible combinations

TEST_F(ConfigTest, RotatingWindowLongerThanTheContextIsRefused) {
  const fs::path file = write("context:\n  length: 1024\nkv_cache:\n  max_tokens: 2048\n");
  EXPECT_EQ(error_of(file), file.string() +
                                ":4:15: kv_cache.max_tokens: 2048 conflicts with context.length 1024 (" +
                                file.string() +
                                ":2:11): a rotating window cannot be longer than the context "
                                "(allowed: kv_cache.max_tokens <= context.length, or either of them 0)");
  EXPECT_NO_THROW(load_config(write("context:\n  length: 1024\nkv_cache:\n  max_tokens: 1024\n")));
  EXPECT_NO_THROW(load_config(write("kv_cache:\n  max_tokens: 2048\n"))); // context 0: the model's decides
}

TEST_F(ConfigTest, PrefillChunkLongerThanTheContextOrTheWindowIsAccepted) {
  // The chunk is an upper bound that the session caps (SessionTest covers the capping).
  const RuntimeConfig c = load_config(write("prefill:\n  chunk_size: 512\ncontext:\n  length: 256\n"));
  EXPECT_EQ(c.prefill.chunk_size, 512);
  EXPECT_EQ(c.context.length, 256);
  EXPECT_NO_THROW(load_config(write("kv_cache:\n  max_tokens: 64\nprefill:\n  chunk_size: 128\n")));
  EXPECT_NO_THROW(load_config(write("context:\n  length: 32\n")));
}

// ----------------------------------------------------------------- --set

TEST_F(ConfigTest, OverridesWinInOrder) {
  const fs::path file = write("threads:\n  count: 2\nsampling:\n  temperature: 0.5\n");
  const RuntimeConfig c =
      load_config(file, std::vector<std::string>{"threads.count=4", "sampling.temperature=0",
                                                 "threads.count=6", "kv_cache.type=q4_0",
                                                 "chat.template=chatml", "tokenizer.pre_tokenizer="});
  EXPECT_EQ(c.threads.count, 6);
  EXPECT_EQ(c.sampling.temperature, 0.0);
  EXPECT_EQ(c.kv_cache.type, KvCacheType::kQ4_0);
  EXPECT_EQ(c.chat.template_name, "chatml");
  EXPECT_EQ(c.tokenizer.pre_tokenizer, "");
}

TEST_F(ConfigTest, OverridesAreValidatedAndNameTheSetArgument) {
  const fs::path file = write("");
  EXPECT_EQ(error_of(file, {"threads.count=300"}),
            "--set threads.count=300: threads.count: 300 is out of range "
            "(allowed: 0 (one per core) or an integer in [1, 256])");
  EXPECT_EQ(error_of(file, {"threads.pin=yes"}),
            "--set threads.pin=yes: threads.pin: expected true or false, got yes (allowed: true or false)");
  EXPECT_EQ(error_of(file, {"threads.cont=3"}),
            "--set threads.cont=3: threads.cont: unknown key; did you mean "
            "threads.count?");
  EXPECT_EQ(error_of(file, {"threads=4"}),
            "--set threads=4: threads: a section, not a key: name one of its keys (count, pin) as "
            "threads.KEY=VALUE");
  EXPECT_EQ(error_of(file, {"threads.count"}),
            "--set threads.count: threads.count: expected key=value, e.g. --set threads.count=4");
  EXPECT_EQ(error_of(file, {"threads.count="}).rfind("--set threads.count=: threads.count: has no value", 0),
            0u);
  EXPECT_EQ(
      error_of(file, {"sampling.top_p=[1"}).rfind("--set sampling.top_p=[1: sampling.top_p: invalid YAML", 0),
      0u);
  EXPECT_EQ(error_of(file, {"kv_cache.type=q8"}).rfind("--set kv_cache.type=q8: kv_cache.type: ", 0), 0u);
}

TEST_F(ConfigTest, AnOverrideThatMakesAnImpossibleCombinationIsNamed) {
  const fs::path file = write("context:\n  length: 1024\n");
  EXPECT_EQ(error_of(file, {"kv_cache.max_tokens=2048"}),
            "--set kv_cache.max_tokens=2048: kv_cache.max_tokens: 2048 conflicts with context.length 1024 (" +
                file.string() +
                ":2:11): a rotating window cannot be longer than the context "
                "(allowed: kv_cache.max_tokens <= context.length, or either of them 0)");
  // ...and an override can also repair the file.
  EXPECT_EQ(load_config(write("kv_cache:\n  max_tokens: 4096\ncontext:\n  length: 1024\n"),
                        std::vector<std::string>{"context.length=0"})
                .context.length,
            0);
}

// ------------------------------------------------------------ round trip

TEST_F(ConfigTest, ToYamlRoundTripsTheDefaults) {
  const RuntimeConfig defaults;
  const std::string yaml = to_yaml(defaults);
  EXPECT_EQ(load_config(write(yaml)), defaults);
  for (const Knob& knob : knobs()) {
    EXPECT_NE(yaml.find("  " + std::string(knob.key()) + ": "), std::string::npos) << knob.name;
  }
  EXPECT_EQ(yaml.rfind("threads:\n  count: 1\n", 0), 0u) << yaml;
}

TEST_F(ConfigTest, ToYamlRoundTripsEveryKnobAwayFromItsDefault) {
  RuntimeConfig c;
  c.threads.count = 0;
  c.threads.pin = true;
  c.kv_cache.type = KvCacheType::kQ4_0;
  c.kv_cache.max_tokens = 100;
  c.prompt_cache.enabled = true;
  c.sampling.temperature = 0.1 + 0.2; // 0.30000000000000004: needs 17 digits
  c.sampling.top_k = 0;
  c.sampling.top_p = 1.0 / 3.0;
  c.sampling.min_p = 1e-7;
  c.sampling.repeat_penalty = 1.1;
  c.sampling.repeat_last_n = 0;
  c.sampling.seed = std::numeric_limits<int64_t>::max();
  c.prefill.chunk_size = 100;
  c.prefill.backend = PrefillBackend::kEigen;
  c.prefill.gemm_unit = PrefillGemmUnit::kVnni;
  c.kernels.matvec_layout = MatvecLayout::kRepacked;
  c.memory = {.prefault = true, .mlock = true, .huge_pages = true};
  c.context.length = 4096;
  c.chat.template_name = "llama3";
  c.tokenizer.pre_tokenizer = "qwen2";
  const RuntimeConfig defaults;
  for (const Knob& knob : knobs()) {
    EXPECT_NE(knob.get(c), knob.get(defaults)) << knob.name << " is left at its default: set it above";
  }
  EXPECT_EQ(load_config(write(to_yaml(c))), c) << to_yaml(c);
}

// ---------------------------------------------------- files that do not load

TEST_F(ConfigTest, MissingFileIsAClearError) {
  const fs::path missing = dir_ / "no-such-config.yaml";
  EXPECT_EQ(error_of(missing), missing.string() + ": config file not found");
}

TEST_F(ConfigTest, DirectoryIsNotAConfigFile) {
  EXPECT_EQ(error_of(dir_), dir_.string() + ": is a directory, not a config file");
}

TEST_F(ConfigTest, UnreadableFileIsAClearError) {
  const fs::path file = write("threads:\n  count: 2\n");
  fs::permissions(file, fs::perms::none);
  if (std::ifstream(file).good()) GTEST_SKIP() << "running with the privilege to read a mode-000 file";
  EXPECT_EQ(error_of(file).rfind(file.string() + ": cannot read config file: ", 0), 0u);
}

TEST_F(ConfigTest, FileThatCannotBeOpenedIsAClearError) {
  // A Unix socket exists and is no directory, but open() refuses it, even to root.
  const fs::path path = dir_ / "socket.yaml";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.string().size(), sizeof(address.sun_path));
  std::strcpy(address.sun_path, path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  const std::string error = error_of(path);
  close(fd);
  EXPECT_EQ(error.rfind(path.string() + ": cannot read config file: ", 0), 0u) << error;
}

TEST_F(ConfigTest, GarbledYamlNamesLineAndColumn) {
  fs::path file = write("threads:\n  count: [1, 2\n");
  EXPECT_EQ(error_of(file).rfind(file.string() + ":3:1: invalid YAML: ", 0), 0u) << error_of(file);
  file = write("threads:\n  count: 1\n   pin: true\n");
  EXPECT_NE(error_of(file).find(": invalid YAML: "), std::string::npos) << error_of(file);
  file = write("sampling: {top_k: 4\n");
  EXPECT_NE(error_of(file).find(": invalid YAML: "), std::string::npos) << error_of(file);
  file = write("a: 1\n---\nb: 2\n");
  EXPECT_EQ(error_of(file).rfind(file.string() + ":3:1: a second YAML document", 0), 0u) << error_of(file);
  file =
      write(std::string("\x7f"
                        "ELF\x02\x01\x01\0\0\0",
                        11));
  EXPECT_EQ(error_of(file), file.string() + ": not a text file (a NUL byte at offset 7)");
}

} // namespace
} // namespace lathe
