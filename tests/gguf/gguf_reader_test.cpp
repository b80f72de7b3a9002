// Tests of the GGUF reader on files written by tests/gguf/gguf_writer.h.
//
// The first half writes valid files and reads every metadata type, every
// typed accessor and every tensor field back. The second half writes one
// damaged file per check the reader makes and asserts that open() throws a
// GgufError naming the file, the field and the numbers involved.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace lathe::gguf {
namespace {

using kernels::QuantType;
using ::testing::AllOf;
using testing::Bytes;
using ::testing::ElementsAre;
using testing::GgufWriter;
using ::testing::HasSubstr;
using testing::Layout;
using testing::MetaValue;
using testing::TensorSpec;
using testing::TestDir;

class GgufReaderTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const GgufWriter& w, Layout* layout = nullptr) {
    return dir_.write("m.gguf", w.build(layout));
  }
  std::filesystem::path write_bytes(const Bytes& b) { return dir_.write("m.gguf", b); }

  // Opens the file, expecting a GgufError; returns its message.
  static std::string open_error(const std::filesystem::path& path) {
    try {
      GgufFile::open(path);
    } catch (const GgufError& e) {
      return e.what();
    }
    ADD_FAILURE() << "GgufFile::open(" << path << ") succeeded on a damaged file";
    return "";
  }

  // A writer holding one small valid tensor, the base of most corruptions.
  static GgufWriter one_tensor() {
    GgufWriter w;
    w.meta("general.architecture", MetaValue::string("llama"));
    w.tensor_filled("w", QuantType::F32, {8, 2});
    return w;
  }

  TestDir dir_;
};

// Overwrites 8 bytes at `pos` with a little-endian u64.
void patch_u64(Bytes& b, uint64_t pos, uint64_t v) {
  Bytes tmp;
  testing::put_u64(tmp, v);
  std::copy(tmp.begin(), tmp.end(), b.begin() + static_cast<std::ptrdiff_t>(pos));
}

// ---------------------------------------------------------------- valid files

TEST_F(GgufReaderTest, ReadsHeader) {
  GgufWriter w = one_tensor();
  Layout layout;
  const auto path = write(w, &layout);
  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.path(), path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.file_size(), std::filesystem::file_size(path));
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset(), layout.data_offset);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  EXPECT_EQ(f.metadata().size(), 1u);
  EXPECT_EQ(f.tensors().size(), 1u);
}

TEST_F(GgufReaderTest, ReadsVersion2) {
  GgufWriter w = one_tensor();
  w.version = 2;
  EXPECT_EQ(GgufFile::open(write(w)).version(), 2u);
}

TEST_F(GgufReaderTest, ReadsAFileWithNothingInIt) {
  // A header with zero counts, padded to the alignment as writers do...
  const Bytes bytes = GgufWriter().build();
  ASSERT_EQ(bytes.size(), 32u);
  const GgufFile padded = GgufFile::open(write_bytes(bytes));
  EXPECT_TRUE(padded.metadata().empty());
  EXPECT_TRUE(padded.tensors().empty());
  // ...but a file without tensors need not be padded (llama.cpp accepts it).
  const Bytes unpadded(bytes.begin(), bytes.begin() + 24);
  EXPECT_TRUE(GgufFile::open(write_bytes(unpadded)).tensors().empty());
}

TEST_F(GgufReaderTest, ReadsEveryScalarType) {
  GgufWriter w;
  w.meta("u8", MetaValue::u8(200))
      .meta("i8", MetaValue::i8(-100))
      .meta("u16", MetaValue::u16(60000))
      .meta("i16", MetaValue::i16(-30000))
      .meta("u32", MetaValue::u32(4000000000u))
      .meta("i32", MetaValue::i32(-2000000000))
      .meta("u64", MetaValue::u64(std::numeric_limits<uint64_t>::max()))
      .meta("i64", MetaValue::i64(std::numeric_limits<int64_t>::min()))
      .meta("f32", MetaValue::f32(0.1f))
      .meta("f64", MetaValue::f64(0.1))
      .meta("true", MetaValue::boolean(true))
      .meta("false", MetaValue::boolean(false))
      .meta("str", MetaValue::string("qwen2"));
  const GgufFile f = GgufFile::open(write(w));

  struct Expect {
    const char* key;
    ValueType type;
    const char* type_string;
  };
  for (const Expect& e :
       {Expect{"u8", ValueType::UINT8, "u8"}, Expect{"i8", ValueType::INT8, "i8"},
        Expect{"u16", ValueType::UINT16, "u16"}, Expect{"i16", ValueType::INT16, "i16"},
        Expect{"u32", ValueType::UINT32, "u32"}, Expect{"i32", ValueType::INT32, "i32"},
        Expect{"u64", ValueType::UINT64, "u64"}, Expect{"i64", ValueType::INT64, "i64"},
        Expect{"f32", ValueType::FLOAT32, "f32"}, Expect{"f64", ValueType::FLOAT64, "f64"},
        Expect{"true", ValueType::BOOL, "bool"}, Expect{"str", ValueType::STRING, "string"}}) {
    const Value* v = f.find(e.key);
    ASSERT_NE(v, nullptr) << e.key;
    EXPECT_EQ(v->type, e.type) << e.key;
    EXPECT_EQ(v->type_string(), e.type_string) << e.key;
  }
  EXPECT_EQ(std::get<uint64_t>(f.find("u8")->data), 200u);
  EXPECT_EQ(std::get<int64_t>(f.find("i8")->data), -100);
  EXPECT_EQ(std::get<uint64_t>(f.find("u16")->data), 60000u);
  EXPECT_EQ(std::get<int64_t>(f.find("i16")->data), -30000);
  EXPECT_EQ(std::get<uint64_t>(f.find("u32")->data), 4000000000u);
  EXPECT_EQ(std::get<int64_t>(f.find("i32")->data), -2000000000);
  EXPECT_EQ(std::get<uint64_t>(f.find("u64")->data), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(std::get<int64_t>(f.find("i64")->data), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(std::get<double>(f.find("f32")->data), static_cast<double>(0.1f)); // widened exactly
  EXPECT_EQ(std::get<double>(f.find("f64")->data), 0.1);
  EXPECT_EQ(std::get<bool>(f.find("true")->data), true);
  EXPECT_EQ(std::get<bool>(f.find("false")->data), false);
  EXPECT_EQ(std::get<std::string_view>(f.find("str")->data), "qwen2");
  EXPECT_TRUE(f.find("u8")->is_integer());
  EXPECT_TRUE(f.find("i64")->is_integer());
  EXPECT_FALSE(f.find("f32")->is_integer());
  EXPECT_TRUE(f.find("f32")->is_float());
  EXPECT_TRUE(f.find("f64")->is_float());
  EXPECT_FALSE(f.find("true")->is_integer());
}

TEST_F(GgufReaderTest, KeepsMetadataInFileOrder) {
  GgufWriter w;
  w.meta("zeta", MetaValue::u8(1)).meta("alpha", MetaValue::u8(2)).meta("mid", MetaValue::u8(3));
  const GgufFile f = GgufFile::open(write(w));
  ASSERT_EQ(f.metadata().size(), 3u);
  EXPECT_EQ(f.metadata()[0].first, "zeta");
  EXPECT_EQ(f.metadata()[1].first, "alpha");
  EXPECT_EQ(f.metadata()[2].first, "mid");
  EXPECT_TRUE(f.has("alpha"));
  EXPECT_FALSE(f.has("beta"));
  EXPECT_EQ(f.find("beta"), nullptr);
}

TEST_F(GgufReaderTest, ReadsStringsWithAnyBytes) {
  const std::string with_nul("a\0b", 3);
  GgufWriter w;
  w.meta("empty", MetaValue::string(""))
      .meta("utf8", MetaValue::string("\xc4\xa0hello \xe2\x96\x81"))
      .meta("nul", MetaValue::string(with_nul))
      .meta("", MetaValue::string("empty key"));
  const GgufFile f = GgufFile::open(write(w));
  EXPECT_EQ(f.get<std::string_view>("empty"), "");
  EXPECT_EQ(f.get<std::string>("utf8"), "\xc4\xa0hello \xe2\x96\x81");
  EXPECT_EQ(f.get<std::string>("nul"), with_nul);
  EXPECT_EQ(f.get<std::string>(""), "empty key");
}

TEST_F(GgufReaderTest, ReadsArraysOfEveryElementType) {
  GgufWriter w;
  w.meta("a.u8", MetaValue::array(ValueType::UINT8, {MetaValue::u8(1), MetaValue::u8(255)}))
      .meta("a.i8", MetaValue::array(ValueType::INT8, {MetaValue::i8(-128), MetaValue::i8(127)}))
      .meta("a.u16", MetaValue::array(ValueType::UINT16, {MetaValue::u16(65535)}))
      .meta("a.i16", MetaValue::array(ValueType::INT16, {MetaValue::i16(-32768)}))
      .meta("a.u32",
            MetaValue::array(ValueType::UINT32, {MetaValue::u32(7), MetaValue::u32(8), MetaValue::u32(9)}))
      .meta("a.i32", MetaValue::array(ValueType::INT32, {MetaValue::i32(-1), MetaValue::i32(1)}))
      .meta("a.u64", MetaValue::array(ValueType::UINT64, {MetaValue::u64(1ull << 40)}))
      .meta("a.i64", MetaValue::array(ValueType::INT64, {MetaValue::i64(-(1ll << 40))}))
      .meta("a.f32", MetaValue::array(ValueType::FLOAT32, {MetaValue::f32(1.5f), MetaValue::f32(-0.25f)}))
      .meta("a.f64", MetaValue::array(ValueType::FLOAT64, {MetaValue::f64(1e300)}))
      .meta("a.bool",
            MetaValue::array(ValueType::BOOL, {MetaValue::boolean(true), MetaValue::boolean(false)}))
      .meta("a.str", MetaValue::array(ValueType::STRING, {MetaValue::string("hello"), MetaValue::string(""),
                                                          MetaValue::string("world")}))
      .meta("a.empty", MetaValue::array(ValueType::UINT32, {}))
      .meta("after", MetaValue::u8(42)); // the cursor lands right after the arrays
  const GgufFile f = GgufFile::open(write(w));

  EXPECT_THAT(f.get_array<uint8_t>("a.u8"), ElementsAre(1, 255));
  EXPECT_THAT(f.get_array<int32_t>("a.i8"), ElementsAre(-128, 127));
  EXPECT_THAT(f.get_array<uint32_t>("a.u16"), ElementsAre(65535u));
  EXPECT_THAT(f.get_array<int64_t>("a.i16"), ElementsAre(-32768));
  EXPECT_THAT(f.get_array<uint32_t>("a.u32"), ElementsAre(7u, 8u, 9u));
  EXPECT_THAT(f.get_array<int32_t>("a.i32"), ElementsAre(-1, 1));
  EXPECT_THAT(f.get_array<uint64_t>("a.u64"), ElementsAre(1ull << 40));
  EXPECT_THAT(f.get_array<int64_t>("a.i64"), ElementsAre(-(1ll << 40)));
  EXPECT_THAT(f.get_array<float>("a.f32"), ElementsAre(1.5f, -0.25f));
  EXPECT_THAT(f.get_array<double>("a.f64"), ElementsAre(1e300));
  EXPECT_THAT(f.get_array<bool>("a.bool"), ElementsAre(true, false));
  EXPECT_THAT(f.get_array<std::string>("a.str"), ElementsAre("hello", "", "world"));
  EXPECT_THAT(f.get_array<std::string_view>("a.str"), ElementsAre("hello", "", "world"));
  EXPECT_TRUE(f.get_array<uint32_t>("a.empty").empty());
  EXPECT_EQ(f.get<uint32_t>("after"), 42u);

  const Value& str = *f.find("a.str");
  EXPECT_EQ(str.type, ValueType::ARRAY);
  EXPECT_EQ(str.element_type, ValueType::STRING);
  EXPECT_EQ(str.type_string(), "[string; 3]");
  EXPECT_EQ(f.find("a.empty")->type_string(), "[u32; 0]");
  for (const Value& e : str.array()) EXPECT_EQ(e.type, ValueType::STRING);
}

TEST_F(GgufReaderTest, ReadsNestedArrays) {
  const MetaValue inner_a = MetaValue::array(ValueType::UINT32, {MetaValue::u32(1), MetaValue::u32(2)});
  const MetaValue inner_b = MetaValue::array(ValueType::UINT32, {MetaValue::u32(3)});
  const MetaValue inner_c = MetaValue::array(ValueType::UINT32, {});
  const MetaValue strings =
      MetaValue::array(ValueType::STRING, {MetaValue::string("x"), MetaValue::string("yz")});
  GgufWriter w;
  w.meta("nested", MetaValue::array(ValueType::ARRAY, {inner_a, inner_b, inner_c}))
      .meta("nested.str", MetaValue::array(ValueType::ARRAY, {strings}))
      .meta("after", MetaValue::string("ok"));
  const GgufFile f = GgufFile::open(write(w));

  const Value& v = *f.find("nested");
  EXPECT_EQ(v.type_string(), "[array; 3]");
  ASSERT_EQ(v.array().size(), 3u);
  EXPECT_EQ(v.array()[0].type, ValueType::ARRAY);
  EXPECT_EQ(v.array()[0].element_type, ValueType::UINT32);
  EXPECT_EQ(v.array()[0].type_string(), "[u32; 2]");
  EXPECT_THAT(array_as<uint32_t>(v.array()[0], "ctx"), ElementsAre(1u, 2u));
  EXPECT_THAT(array_as<uint32_t>(v.array()[1], "ctx"), ElementsAre(3u));
  EXPECT_TRUE(v.array()[2].array().empty());
  const Value& s = f.find("nested.str")->array().at(0);
  EXPECT_THAT(array_as<std::string>(s, "ctx"), ElementsAre("x", "yz"));
  EXPECT_EQ(f.get<std::string>("after"), "ok");
}

// Arrays of arrays of ... `depth` levels, the innermost holding one u8.
MetaValue nested(int depth) {
  if (depth == 1) return MetaValue::array(ValueType::UINT8, {MetaValue::u8(5)});
  return MetaValue::array(ValueType::ARRAY, {nested(depth - 1)});
}

TEST_F(GgufReaderTest, ReadsArraysNestedFourDeep) {
  GgufWriter w;
  w.meta("deep", nested(4));
  const GgufFile f = GgufFile::open(write(w));
  const Value* v = f.find("deep");
  for (int level = 1; level < 4; ++level) v = &v->array().at(0);
  EXPECT_THAT(array_as<uint8_t>(*v, "ctx"), ElementsAre(5));
}

TEST_F(GgufReaderTest, RejectsArraysNestedFiveDeep) {
  GgufWriter w;
  w.meta("deep", nested(5));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'deep'"),
                                      HasSubstr("nests arrays deeper than 4")));
}

// ------------------------------------------------------------ typed access

class GgufGetTest : public GgufReaderTest {
 protected:
  void SetUp() override {
    GgufWriter w;
    w.meta("u8", MetaValue::u8(200))
        .meta("u16", MetaValue::u16(300))
        .meta("i8", MetaValue::i8(-5))
        .meta("i16", MetaValue::i16(-300))
        .meta("u32", MetaValue::u32(4000000000u))
        .meta("i32", MetaValue::i32(-7))
        .meta("u64.small", MetaValue::u64(12))
        .meta("u64.big", MetaValue::u64(1ull << 63))
        .meta("i64.big", MetaValue::i64(1ll << 40))
        .meta("f32", MetaValue::f32(1e-6f))
        .meta("f64", MetaValue::f64(1e6))
        .meta("bool", MetaValue::boolean(true))
        .meta("str", MetaValue::string("gpt2"))
        .meta("arr", MetaValue::array(ValueType::INT32, {MetaValue::i32(1), MetaValue::i32(-1)}));
    path_ = write(w);
    file_.emplace(GgufFile::open(path_));
  }

  const GgufFile& f() const { return *file_; }

  // The message of the GgufError that `fn` throws.
  template <typename Fn>
  static std::string error_of(Fn fn) {
    try {
      fn();
    } catch (const GgufError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no GgufError thrown";
    return "";
  }

  std::filesystem::path path_;
  std::optional<GgufFile> file_;
};

TEST_F(GgufGetTest, ConvertsIntegersThatFit) {
  EXPECT_EQ(f().get<uint8_t>("u8"), 200);
  EXPECT_EQ(f().get<uint32_t>("u8"), 200u);
  EXPECT_EQ(f().get<int32_t>("u8"), 200);
  EXPECT_EQ(f().get<int64_t>("u8"), 200);
  EXPECT_EQ(f().get<uint64_t>("u8"), 200u);
  EXPECT_EQ(f().get<uint16_t>("u16"), 300);
  EXPECT_EQ(f().get<int16_t>("u16"), 300);
  EXPECT_EQ(f().get<int8_t>("i8"), -5);
  EXPECT_EQ(f().get<int16_t>("i16"), -300);
  EXPECT_EQ(f().get<int32_t>("i8"), -5);
  EXPECT_EQ(f().get<int64_t>("i32"), -7);
  EXPECT_EQ(f().get<uint32_t>("u32"), 4000000000u);
  EXPECT_EQ(f().get<int64_t>("u32"), 4000000000);
  EXPECT_EQ(f().get<uint8_t>("u64.small"), 12);
  EXPECT_EQ(f().get<uint64_t>("u64.big"), 1ull << 63);
  EXPECT_EQ(f().get<uint64_t>("i64.big"), 1ull << 40);
}

TEST_F(GgufGetTest, ConvertsFloatsAndReadsBoolsAndStrings) {
  EXPECT_EQ(f().get<float>("f32"), 1e-6f); // exact: f32 -> double -> f32
  EXPECT_EQ(f().get<double>("f32"), static_cast<double>(1e-6f));
  EXPECT_EQ(f().get<float>("f64"), 1e6f);
  EXPECT_EQ(f().get<double>("f64"), 1e6);
  EXPECT_TRUE(f().get<bool>("bool"));
  EXPECT_EQ(f().get<std::string>("str"), "gpt2");
  EXPECT_EQ(f().get<std::string_view>("str"), "gpt2");
}

TEST_F(GgufGetTest, RejectsIntegersThatDoNotFit) {
  const std::string file = path_.string();
  EXPECT_THAT(error_of([&] { f().get<uint8_t>("u16"); }),
              AllOf(HasSubstr(file), HasSubstr("metadata 'u16'"), HasSubstr("value 300 does not fit"),
                    HasSubstr("[0, 255]")));
  EXPECT_THAT(error_of([&] { f().get<uint32_t>("i32"); }),
              AllOf(HasSubstr(file), HasSubstr("metadata 'i32'"), HasSubstr("value -7 does not fit"),
                    HasSubstr("[0, 2^32)")));
  EXPECT_THAT(error_of([&] { f().get<uint64_t>("i8"); }),
              AllOf(HasSubstr("metadata 'i8'"), HasSubstr("value -5 does not fit a non-negative integer")));
  EXPECT_THAT(error_of([&] { f().get<int32_t>("u32"); }),
              AllOf(HasSubstr("metadata 'u32'"), HasSubstr("value 4000000000 does not fit"),
                    HasSubstr("[-2^31, 2^31)")));
  EXPECT_THAT(error_of([&] { f().get<int64_t>("u64.big"); }),
              AllOf(HasSubstr("metadata 'u64.big'"), HasSubstr("value 9223372036854775808 does not fit")));
  EXPECT_THAT(error_of([&] { f().get<int8_t>("i16"); }),
              AllOf(HasSubstr("metadata 'i16'"), HasSubstr("value -300 does not fit")));
  EXPECT_THAT(error_of([&] { f().get<uint16_t>("i64.big"); }),
              AllOf(HasSubstr("metadata 'i64.big'"), HasSubstr("value 1099511627776 does not fit")));
}

TEST_F(GgufGetTest, RejectsTheWrongKindNamingKeyAndTypes) {
  const std::string file = path_.string();
  EXPECT_THAT(error_of([&] { f().get<float>("u32"); }),
              AllOf(HasSubstr(file), HasSubstr("metadata 'u32'"), HasSubstr("expected a float, found u32")));
  EXPECT_THAT(error_of([&] { f().get<uint32_t>("f32"); }),
              AllOf(HasSubstr(file), HasSubstr("metadata 'f32'"),
                    HasSubstr("expected an integer in [0, 2^32)"), HasSubstr("found f32")));
  EXPECT_THAT(error_of([&] { f().get<std::string>("u8"); }),
              AllOf(HasSubstr("metadata 'u8'"), HasSubstr("expected a string, found u8")));
  EXPECT_THAT(error_of([&] { f().get<std::string_view>("arr"); }),
              AllOf(HasSubstr("metadata 'arr'"), HasSubstr("expected a string, found [i32; 2]")));
  EXPECT_THAT(error_of([&] { f().get<bool>("u8"); }),
              AllOf(HasSubstr("metadata 'u8'"), HasSubstr("expected bool, found u8")));
  EXPECT_THAT(error_of([&] { f().get<int64_t>("str"); }),
              AllOf(HasSubstr("metadata 'str'"), HasSubstr("expected an integer, found string")));
  EXPECT_THAT(error_of([&] { f().get<int64_t>("bool"); }),
              AllOf(HasSubstr("metadata 'bool'"), HasSubstr("found bool")));
  EXPECT_THAT(error_of([&] { f().get<double>("str"); }),
              AllOf(HasSubstr("metadata 'str'"), HasSubstr("expected a float, found string")));
}

TEST_F(GgufGetTest, MissingKeyIsNamed) {
  EXPECT_THAT(error_of([&] { f().get<uint32_t>("llama.block_count"); }),
              AllOf(HasSubstr(path_.string()), HasSubstr("missing metadata key 'llama.block_count'")));
  EXPECT_THAT(error_of([&] { f().get_array<std::string>("tokenizer.ggml.tokens"); }),
              HasSubstr("missing metadata key 'tokenizer.ggml.tokens'"));
}

TEST_F(GgufGetTest, GetOrFallsBackOnlyWhenTheKeyIsMissing) {
  EXPECT_EQ(f().get_or<uint32_t>("missing", 17u), 17u);
  EXPECT_EQ(f().get_or<std::string>("missing", "x"), "x");
  EXPECT_EQ(f().get_or<uint32_t>("u8", 17u), 200u);
  EXPECT_EQ(f().get_or<float>("f64", 0.0f), 1e6f);
  // A present key of the wrong type is an error, not the fallback.
  EXPECT_THAT(error_of([&] { f().get_or<float>("str", 1.0f); }),
              AllOf(HasSubstr("metadata 'str'"), HasSubstr("expected a float, found string")));
}

TEST_F(GgufGetTest, GetArrayChecksTheArrayAndEachElement) {
  EXPECT_THAT(f().get_array<int32_t>("arr"), ElementsAre(1, -1));
  EXPECT_THAT(f().get_array<int64_t>("arr"), ElementsAre(1, -1));
  EXPECT_THAT(
      error_of([&] { f().get_array<uint32_t>("arr"); }),
      AllOf(HasSubstr(path_.string()), HasSubstr("metadata 'arr'"), HasSubstr("value -1 does not fit")));
  EXPECT_THAT(error_of([&] { f().get_array<uint32_t>("u32"); }),
              AllOf(HasSubstr("metadata 'u32'"), HasSubstr("expected array, found u32")));
  EXPECT_THAT(error_of([&] { f().get_array<std::string>("arr"); }),
              AllOf(HasSubstr("metadata 'arr'"), HasSubstr("expected a string, found i32")));
}

// ----------------------------------------------------------------- tensors

TEST_F(GgufReaderTest, ReadsTensorInfosAndData) {
  GgufWriter w;
  w.meta("general.architecture", MetaValue::string("llama"));
  w.tensor_f32("norm", {5}, {1.0f, -2.0f, 0.5f, 3.25f, -0.0f}); // 20 bytes: the next offset is padded
  w.tensor_filled("f16", QuantType::F16, {6, 3});
  w.tensor_filled("q8", QuantType::Q8_0, {64, 3});
  w.tensor_filled("q4k", QuantType::Q4_K, {256, 2});
  w.tensor_filled("q6k", QuantType::Q6_K, {512, 2, 3});
  w.tensor_filled("bf16", QuantType::BF16, {2, 2, 2, 2});
  Layout layout;
  const Bytes bytes = w.build(&layout);
  const auto path = dir_.write("m.gguf", bytes);
  const GgufFile f = GgufFile::open(path);
  ASSERT_EQ(f.tensors().size(), 6u);

  struct Expect {
    const char* name;
    QuantType type;
    const char* type_name;
    std::vector<int64_t> dims;
    int64_t n_elements;
    uint64_t n_bytes;
    const char* shape;
  };
  const std::vector<Expect> expected = {
      {"norm", QuantType::F32, "F32", {5}, 5, 20, "5"},
      {"f16", QuantType::F16, "F16", {6, 3}, 18, 36, "6 x 3"},
      {"q8", QuantType::Q8_0, "Q8_0", {64, 3}, 192, 6 * 34, "64 x 3"},
      {"q4k", QuantType::Q4_K, "Q4_K", {256, 2}, 512, 2 * 144, "256 x 2"},
      {"q6k", QuantType::Q6_K, "Q6_K", {512, 2, 3}, 3072, 12 * 210, "512 x 2 x 3"},
      {"bf16", QuantType::BF16, "BF16", {2, 2, 2, 2}, 16, 32, "2 x 2 x 2 x 2"},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    const Expect& e = expected[i];
    SCOPED_TRACE(e.name);
    const TensorInfo& t = f.tensors()[i];
    EXPECT_EQ(t.name, e.name);
    EXPECT_EQ(&f.tensor(e.name), &t);
    EXPECT_EQ(t.type, e.type);
    EXPECT_EQ(t.traits.name, e.type_name);
    EXPECT_EQ(t.dims, e.dims);
    EXPECT_EQ(t.n_elements(), e.n_elements);
    EXPECT_EQ(t.row_length(), e.dims[0]);
    EXPECT_EQ(t.n_rows(), e.n_elements / e.dims[0]);
    EXPECT_EQ(t.shape_string(), e.shape);
    EXPECT_EQ(t.n_bytes, e.n_bytes);
    EXPECT_EQ(t.n_bytes, testing::tensor_bytes(e.type, std::vector<uint64_t>(e.dims.begin(), e.dims.end())));
    EXPECT_EQ(t.offset, layout.tensor_offsets[i]);
    EXPECT_EQ(t.offset % 32, 0u);
    // The pointer is into the mapping at data_offset + offset, so it is as
    // aligned as the mapping (a page) allows: to the file's alignment.
    EXPECT_EQ(t.data - f.tensors()[0].data, static_cast<std::ptrdiff_t>(t.offset));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % f.alignment(), 0u);
    EXPECT_EQ(std::memcmp(t.data, bytes.data() + layout.data_offset + t.offset, t.n_bytes), 0);
  }
  float norm[5];
  std::memcpy(norm, f.tensor("norm").data, sizeof norm);
  EXPECT_THAT(norm, ElementsAre(1.0f, -2.0f, 0.5f, 3.25f, -0.0f));
  EXPECT_EQ(f.tensors()[1].offset, 32u); // 20 bytes of "norm", padded
}

TEST_F(GgufReaderTest, HonoursGeneralAlignment) {
  for (uint32_t alignment : {1u, 8u, 64u, 4096u}) {
    SCOPED_TRACE(alignment);
    GgufWriter w;
    w.set_alignment(alignment);
    w.tensor_f32("a", {3}, {1, 2, 3});
    w.tensor_f32("b", {2}, {4, 5});
    Layout layout;
    const GgufFile f = GgufFile::open(write(w, &layout));
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.data_offset() % alignment, 0u);
    EXPECT_EQ(f.data_offset(), layout.data_offset);
    EXPECT_EQ(f.tensor("b").offset, (12 + alignment - 1) / alignment * alignment); // "a" is 12 bytes
    EXPECT_EQ(reinterpret_cast<uintptr_t>(f.tensor("b").data) % alignment, 0u);
    float b[2];
    std::memcpy(b, f.tensor("b").data, sizeof b);
    EXPECT_THAT(b, ElementsAre(4.0f, 5.0f));
  }
}

TEST_F(GgufReaderTest, AcceptsGeneralAlignmentOfAnyIntegerType) {
  GgufWriter w;
  w.layout_alignment = 16;
  w.meta("general.alignment", MetaValue::u64(16));
  w.tensor_f32("a", {1}, {1});
  w.tensor_f32("b", {1}, {2});
  const GgufFile f = GgufFile::open(write(w));
  EXPECT_EQ(f.alignment(), 16u);
  EXPECT_EQ(f.tensor("b").offset, 16u);
}

TEST_F(GgufReaderTest, FindsTensorsByName) {
  const auto path = write(one_tensor());
  const GgufFile f = GgufFile::open(path);
  EXPECT_NE(f.find_tensor("w"), nullptr);
  EXPECT_EQ(f.find_tensor("output.weight"), nullptr);
  try {
    f.tensor("output.weight");
    ADD_FAILURE() << "no error for a missing tensor";
  } catch (const GgufError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path.string()), HasSubstr("missing tensor 'output.weight'")));
  }
}

TEST_F(GgufReaderTest, MovingKeepsTheMappingAndViews) {
  GgufWriter w;
  w.meta("general.architecture", MetaValue::string("qwen2"));
  w.tensor_f32("x", {2}, {7.0f, 8.0f});
  const auto path = write(w);
  GgufFile a = GgufFile::open(path);
  const std::byte* data = a.tensor("x").data;
  GgufFile b(std::move(a));
  EXPECT_EQ(b.tensor("x").data, data);
  EXPECT_EQ(b.get<std::string_view>("general.architecture"), "qwen2");
  GgufFile c = GgufFile::open(path);
  c = std::move(b);
  EXPECT_EQ(c.tensor("x").data, data);
  float x[2];
  std::memcpy(x, c.tensor("x").data, sizeof x);
  EXPECT_THAT(x, ElementsAre(7.0f, 8.0f));
  EXPECT_EQ(c.path(), path);
}

// ------------------------------------------------------------ damaged files

TEST_F(GgufReaderTest, MissingFile) {
  const auto path = dir_.path() / "absent.gguf";
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("cannot open"),
                                      HasSubstr("No such file or directory")));
}

TEST_F(GgufReaderTest, EmptyFile) {
  const auto path = write_bytes({});
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("header"), HasSubstr("0 bytes"),
                                      HasSubstr("24-byte GGUF header")));
}

TEST_F(GgufReaderTest, Directory) {
  EXPECT_THAT(open_error(dir_.path()),
              AllOf(HasSubstr(dir_.path().string()), HasSubstr("not a regular file")));
}

TEST_F(GgufReaderTest, TruncatedHeader) {
  Bytes b = one_tensor().build();
  b.resize(20);
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("header"), HasSubstr("20 bytes")));
}

TEST_F(GgufReaderTest, TruncatedMetadata) {
  GgufWriter w;
  w.meta("general.name", MetaValue::string("a long enough name"));
  Layout layout;
  Bytes b = w.build(&layout);
  // Cut inside the value: key (8 + 12) and type (4) are there, 8 + 5 of the string.
  b.resize(layout.metadata_begin + 8 + 12 + 4 + 8 + 5);
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'general.name'"),
                                      HasSubstr("needs 18 bytes but the file ends after 5")));
}

TEST_F(GgufReaderTest, TruncatedTensorInfo) {
  Layout layout;
  Bytes b = one_tensor().build(&layout);
  // Name (8 + 1), dim count (4), two dims (16), type (4); the offset is cut.
  b.resize(layout.tensor_infos_begin + 8 + 1 + 4 + 16 + 4 + 3);
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w' offset"),
                                      HasSubstr("needs 8 bytes but the file ends after 3")));
}

TEST_F(GgufReaderTest, TruncatedTensorData) {
  Layout layout;
  Bytes b = one_tensor().build(&layout);
  b.resize(layout.data_offset + 64 - 1); // "w" is 8 x 2 F32, 64 bytes
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                      HasSubstr("F32 8 x 2"), HasSubstr("64 bytes at data offset 0"),
                                      HasSubstr("ends past the end"), HasSubstr("holds 63 bytes")));
}

TEST_F(GgufReaderTest, BadMagic) {
  GgufWriter w = one_tensor();
  w.magic = 0x4c4d4747; // "GGML"
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("magic"), HasSubstr("0x46554747"),
                                      HasSubstr("found 0x4c4d4747"), HasSubstr("not a GGUF file")));
}

TEST_F(GgufReaderTest, Version1) {
  GgufWriter w = one_tensor();
  w.version = 1;
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("version: expected 2 or 3, found 1")));
}

TEST_F(GgufReaderTest, BigEndianVersion) {
  GgufWriter w = one_tensor();
  w.version = 0x03000000; // 3, byte-swapped
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("version"),
                                      HasSubstr("found 50331648"), HasSubstr("big-endian")));
}

TEST_F(GgufReaderTest, HugeTensorCount) {
  GgufWriter w = one_tensor();
  w.tensor_count = 1ull << 60;
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor count 1152921504606846976"),
                                      HasSubstr("bytes left")));
}

TEST_F(GgufReaderTest, HugeMetadataCount) {
  GgufWriter w = one_tensor();
  w.metadata_count = std::numeric_limits<uint64_t>::max();
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("metadata count 18446744073709551615"),
                    HasSubstr("bytes left")));
}

TEST_F(GgufReaderTest, MetadataCountPastTheLastPair) {
  GgufWriter w;
  w.meta("a", MetaValue::string(std::string(30, 'x'))); // 51 bytes: room for 3 minimal pairs
  w.metadata_count = 3; // plausible for the file size, but only one pair is there
  Layout layout;
  Bytes b = w.build(&layout);
  b.resize(layout.metadata_begin + 51); // no padding: the file ends after the pair
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata key #1 at offset 75"),
                                      HasSubstr("needs 8 bytes but the file ends after 0")));
}

TEST_F(GgufReaderTest, StringValueLengthPastEof) {
  Bytes payload;
  testing::put_u64(payload, 1ull << 40);
  payload.insert(payload.end(), {'a', 'b', 'c'});
  GgufWriter w;
  w.meta("general.name", MetaValue::raw(static_cast<uint32_t>(ValueType::STRING), payload));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'general.name'"),
                                      HasSubstr("needs 1099511627776 bytes")));
}

TEST_F(GgufReaderTest, KeyLengthPastEof) {
  GgufWriter w;
  w.meta("general.name", MetaValue::string("x"));
  Layout layout;
  Bytes b = w.build(&layout);
  patch_u64(b, layout.metadata_begin, 1ull << 62);
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata key #0"),
                                      HasSubstr("needs 4611686018427387904 bytes")));
}

TEST_F(GgufReaderTest, TensorNameLengthPastEof) {
  Layout layout;
  Bytes b = one_tensor().build(&layout);
  patch_u64(b, layout.tensor_infos_begin, 1ull << 33);
  const auto path = write_bytes(b);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor #0 name"),
                                      HasSubstr("needs 8589934592 bytes")));
}

TEST_F(GgufReaderTest, ArrayCountPastEof) {
  Bytes payload;
  testing::put_u32(payload, static_cast<uint32_t>(ValueType::UINT32));
  testing::put_u64(payload, 1ull << 50);
  testing::put_u32(payload, 1);
  GgufWriter w;
  w.meta("tokenizer.ggml.token_type", MetaValue::raw(static_cast<uint32_t>(ValueType::ARRAY), payload));
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("metadata 'tokenizer.ggml.token_type'"),
                    HasSubstr("claims 1125899906842624 elements of type u32"), HasSubstr("bytes left")));
}

TEST_F(GgufReaderTest, ArrayOfStringsCountPastEof) {
  // Each string needs at least its 8-byte length: 1000 of them cannot fit in
  // the padding that is all the file has left.
  Bytes payload;
  testing::put_u32(payload, static_cast<uint32_t>(ValueType::STRING));
  testing::put_u64(payload, 1000);
  GgufWriter w;
  w.meta("tokenizer.ggml.tokens", MetaValue::raw(static_cast<uint32_t>(ValueType::ARRAY), payload));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'tokenizer.ggml.tokens'"),
                                      HasSubstr("claims 1000 elements of type string")));
}

TEST_F(GgufReaderTest, TensorPastEof) {
  GgufWriter w = one_tensor();
  w.tensor({"far", {32}, static_cast<uint32_t>(QuantType::F32), {}, 1ull << 30});
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("tensor 'far'"), HasSubstr("128 bytes"),
                    HasSubstr("data offset 1073741824"), HasSubstr("ends past the end")));
}

TEST_F(GgufReaderTest, MisalignedTensorOffset) {
  GgufWriter w;
  w.tensor({"w", {4}, static_cast<uint32_t>(QuantType::F32), Bytes(16, 0), 8});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                      HasSubstr("offset 8 is not a multiple of the alignment 32")));
}

TEST_F(GgufReaderTest, UnknownMetadataTypeId) {
  GgufWriter w;
  w.meta("general.name", MetaValue::raw(13, {1, 2, 3, 4}));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'general.name'"),
                                      HasSubstr("unknown value type 13")));
}

TEST_F(GgufReaderTest, UnknownArrayElementTypeId) {
  Bytes payload;
  testing::put_u32(payload, 99);
  testing::put_u64(payload, 1);
  GgufWriter w;
  w.meta("arr", MetaValue::raw(static_cast<uint32_t>(ValueType::ARRAY), payload));
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("metadata 'arr' (array element type)"),
                    HasSubstr("unknown value type 99")));
}

TEST_F(GgufReaderTest, UnknownTensorTypeId) {
  for (uint32_t id : {4u, 5u, 31u, 1000u}) { // 4 and 5 are the removed Q4_2 and Q4_3
    SCOPED_TRACE(id);
    GgufWriter w;
    w.tensor({"w", {32}, id, Bytes(64, 0), std::nullopt});
    const auto path = write(w);
    EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                        HasSubstr("unknown tensor type id " + std::to_string(id))));
  }
}

TEST_F(GgufReaderTest, DuplicateTensorName) {
  GgufWriter w = one_tensor();
  w.tensor_filled("w", QuantType::F32, {4});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor name 'w' appears twice")));
}

TEST_F(GgufReaderTest, DuplicateMetadataKey) {
  GgufWriter w = one_tensor();
  w.meta("general.architecture", MetaValue::string("qwen2"));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()),
                                      HasSubstr("metadata key 'general.architecture' appears twice")));
}

TEST_F(GgufReaderTest, OverlappingTensors) {
  GgufWriter w;
  w.tensor({"a", {32}, static_cast<uint32_t>(QuantType::F32), Bytes(128, 1), 0});
  w.tensor({"b", {16}, static_cast<uint32_t>(QuantType::F32), Bytes(64, 2), 96});
  w.tensor({"c", {8}, static_cast<uint32_t>(QuantType::F32), Bytes(32, 3), 192});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensors 'a' (bytes 0..128)"),
                                      HasSubstr("'b' (from 96) overlap")));
}

TEST_F(GgufReaderTest, ZeroDimensions) {
  GgufWriter w;
  w.tensor({"w", {}, static_cast<uint32_t>(QuantType::F32), Bytes(4, 0), std::nullopt});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                      HasSubstr("expected 1 to 4 dimensions, found 0")));
}

TEST_F(GgufReaderTest, TooManyDimensions) {
  GgufWriter w;
  w.tensor({"w", {1, 1, 1, 1, 1}, static_cast<uint32_t>(QuantType::F32), Bytes(4, 0), std::nullopt});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                      HasSubstr("expected 1 to 4 dimensions, found 5")));
}

TEST_F(GgufReaderTest, ZeroSizedDimension) {
  GgufWriter w;
  w.tensor({"w", {4, 0}, static_cast<uint32_t>(QuantType::F32), Bytes(16, 0), std::nullopt});
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"), HasSubstr("dimension 1 is 0")));
}

TEST_F(GgufReaderTest, DimensionProductOverflows) {
  GgufWriter w;
  w.tensor(
      {"w", {1ull << 32, 1ull << 32}, static_cast<uint32_t>(QuantType::F32), Bytes(16, 0), std::nullopt});
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                                      HasSubstr("dimension 1 is 4294967296"), HasSubstr("63 bits")));
}

TEST_F(GgufReaderTest, RowLengthNotAMultipleOfTheBlockSize) {
  GgufWriter w;
  w.tensor({"w", {48, 2}, static_cast<uint32_t>(QuantType::Q4_0), Bytes(3 * 18, 0), std::nullopt});
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("tensor 'w'"),
                    HasSubstr("row length 48 is not a multiple of the Q4_0 block size 32")));
  GgufWriter k;
  k.tensor({"k", {128}, static_cast<uint32_t>(QuantType::Q4_K), Bytes(144, 0), std::nullopt});
  const auto kpath = dir_.write("k.gguf", k.build());
  EXPECT_THAT(open_error(kpath),
              AllOf(HasSubstr(kpath.string()), HasSubstr("tensor 'k'"),
                    HasSubstr("row length 128 is not a multiple of the Q4_K block size 256")));
}

TEST_F(GgufReaderTest, AlignmentNotAPowerOfTwo) {
  for (uint32_t alignment : {0u, 48u, 100u}) {
    SCOPED_TRACE(alignment);
    GgufWriter w = one_tensor();
    w.meta("general.alignment", MetaValue::u32(alignment));
    const auto path = write(w);
    EXPECT_THAT(open_error(path),
                AllOf(HasSubstr(path.string()), HasSubstr("general.alignment"),
                      HasSubstr("expected a power of two, found " + std::to_string(alignment))));
  }
}

TEST_F(GgufReaderTest, AlignmentOfTheWrongType) {
  GgufWriter w = one_tensor();
  w.meta("general.alignment", MetaValue::string("32"));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'general.alignment'"),
                                      HasSubstr("found string")));
  GgufWriter n = one_tensor();
  n.meta("general.alignment", MetaValue::i64(-32));
  const auto npath = dir_.write("n.gguf", n.build());
  EXPECT_THAT(open_error(npath),
              AllOf(HasSubstr("metadata 'general.alignment'"), HasSubstr("value -32 does not fit")));
}

TEST_F(GgufReaderTest, BoolByteNotZeroOrOne) {
  GgufWriter w;
  w.meta("tokenizer.ggml.add_bos_token", MetaValue::raw(static_cast<uint32_t>(ValueType::BOOL), {2}));
  const auto path = write(w);
  EXPECT_THAT(open_error(path),
              AllOf(HasSubstr(path.string()), HasSubstr("metadata 'tokenizer.ggml.add_bos_token'"),
                    HasSubstr("bool with byte value 2")));
}

TEST_F(GgufReaderTest, BoolByteNotZeroOrOneInAnArray) {
  Bytes payload;
  testing::put_u32(payload, static_cast<uint32_t>(ValueType::BOOL));
  testing::put_u64(payload, 3);
  payload.insert(payload.end(), {1, 0, 255});
  GgufWriter w;
  w.meta("flags", MetaValue::raw(static_cast<uint32_t>(ValueType::ARRAY), payload));
  const auto path = write(w);
  EXPECT_THAT(open_error(path), AllOf(HasSubstr(path.string()), HasSubstr("metadata 'flags'"),
                                      HasSubstr("bool with byte value 255")));
}

} // namespace
} // namespace lathe::gguf
