// Golden checks on the real default models: the GGUF reader, summarize_model()
// (what `lathe info` prints) and the scalar dequantizers, against the files
// tests/golden/<model>.gguf.json that tests/golden/make_gguf_golden.py wrote
// with gguf-py, the format's reference reader and dequantizers.
//
// Models come from $LATHE_MODELS_DIR, else the build's LATHE_MODELS_DIR
// (models/ of the checkout). A missing model fails the test: fetch it with
// scripts/fetch-models.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/model/model_summary.h"
#include "kernels/dequantize.h"
#include "kernels/quant_types.h"

namespace lathe {
namespace {

using nlohmann::json;

std::filesystem::path models_dir() {
  if (const char* env = std::getenv("LATHE_MODELS_DIR"); env && *env) return env;
  return LATHE_DEFAULT_MODELS_DIR;
}

std::filesystem::path golden_path(const std::string& model_file) {
  return std::filesystem::path(LATHE_TEST_DATA_DIR) / "golden" / (model_file + ".json");
}

// Types whose dequantization is a plain widening: compared exactly.
bool is_exact_type(std::string_view type) { return type == "F32" || type == "F16" || type == "BF16"; }

class ModelGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::filesystem::path model = models_dir() / GetParam();
    ASSERT_TRUE(std::filesystem::is_regular_file(model))
        << "model file " << model << " is missing. Fetch the default models with scripts/fetch-models "
        << "(or point LATHE_MODELS_DIR at a directory holding " << GetParam() << ").";
    const std::filesystem::path golden = golden_path(GetParam());
    std::ifstream in(golden);
    ASSERT_TRUE(in) << "golden file " << golden << " is missing; regenerate it with "
                    << "tests/golden/make_gguf_golden.py (see the command at its top)";
    golden_ = json::parse(in);
    file_.emplace(gguf::GgufFile::open(model));
  }

  const gguf::GgufFile& file() const { return *file_; }

  json golden_;
  std::optional<gguf::GgufFile> file_;
};

TEST_P(ModelGoldenTest, SummaryMatchesGgufPy) {
  const ModelSummary s = summarize_model(file());
  const json& g = golden_;
  EXPECT_EQ(s.file_size, g["file_size"].get<uint64_t>());
  EXPECT_EQ(s.gguf_version, g["gguf_version"].get<uint32_t>());
  EXPECT_EQ(s.n_metadata, g["n_metadata"].get<int64_t>());
  EXPECT_EQ(s.n_tensors, g["n_tensors"].get<int64_t>());
  EXPECT_EQ(s.n_params, g["n_params"].get<int64_t>());
  EXPECT_EQ(s.tensor_bytes, g["tensor_bytes"].get<uint64_t>());

  const ModelConfig& c = s.config;
  const json& gc = g["config"];
  EXPECT_EQ(c.architecture, gc["architecture"].get<std::string>());
  EXPECT_EQ(c.name, gc["name"].get<std::string>());
  EXPECT_EQ(c.n_layers, gc["n_layers"].get<int64_t>());
  EXPECT_EQ(c.dim, gc["dim"].get<int64_t>());
  EXPECT_EQ(c.ffn_dim, gc["ffn_dim"].get<int64_t>());
  EXPECT_EQ(c.n_heads, gc["n_heads"].get<int64_t>());
  EXPECT_EQ(c.n_kv_heads, gc["n_kv_heads"].get<int64_t>());
  EXPECT_EQ(c.head_dim, gc["head_dim"].get<int64_t>());
  EXPECT_EQ(c.context_length, gc["context_length"].get<int64_t>());
  EXPECT_EQ(c.vocab_size, gc["vocab_size"].get<int64_t>());
  // Stored as f32 in the file and written as the exact f32 value: equal.
  EXPECT_EQ(c.rms_eps, gc["rms_eps"].get<float>());
  EXPECT_EQ(c.rope_theta, gc["rope_theta"].get<float>());
  EXPECT_EQ(c.rope_dim, gc["rope_dim"].get<int64_t>());
  EXPECT_EQ(c.tied_output, gc["tied_output"].get<bool>());
  EXPECT_TRUE(c.supported());

  const TokenizerSummary& t = s.tokenizer;
  const json& gt = g["tokenizer"];
  EXPECT_EQ(t.model, gt["model"].get<std::string>());
  EXPECT_EQ(t.pre, gt["pre"].get<std::string>());
  EXPECT_EQ(t.n_tokens, gt["n_tokens"].get<int64_t>());
  EXPECT_EQ(t.n_merges, gt["n_merges"].get<int64_t>());
  EXPECT_EQ(t.special_ids, (gt["special_ids"].get<std::map<std::string, int64_t>>()));
  EXPECT_EQ(t.chat_template_chars, gt["chat_template_chars"].get<int64_t>());
  ASSERT_EQ(t.add_bos.has_value(), gt.contains("add_bos"));
  if (t.add_bos) {
    EXPECT_EQ(*t.add_bos, gt["add_bos"].get<bool>());
  }
  ASSERT_EQ(t.add_eos.has_value(), gt.contains("add_eos"));
  if (t.add_eos) {
    EXPECT_EQ(*t.add_eos, gt["add_eos"].get<bool>());
  }

  std::map<std::string, TensorTypeStats> want;
  for (const auto& [name, st] : g["tensor_types"].items()) {
    want[name] = {st["count"].get<int64_t>(), st["bytes"].get<uint64_t>(), st["elements"].get<int64_t>()};
  }
  ASSERT_EQ(s.type_histogram.size(), want.size());
  for (const auto& [name, st] : want) {
    SCOPED_TRACE(name);
    const auto it = s.type_histogram.find(name);
    ASSERT_NE(it, s.type_histogram.end());
    EXPECT_EQ(it->second.count, st.count);
    EXPECT_EQ(it->second.bytes, st.bytes);
    EXPECT_EQ(it->second.elements, st.elements);
  }
}

TEST_P(ModelGoldenTest, TensorsAreAlignedAndInsideTheFile) {
  const gguf::GgufFile& f = file();
  EXPECT_EQ(f.data_offset() % f.alignment(), 0u);
  for (const gguf::TensorInfo& t : f.tensors()) {
    SCOPED_TRACE(std::string(t.name));
    EXPECT_EQ(t.offset % f.alignment(), 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % f.alignment(), 0u);
    EXPECT_LE(f.data_offset() + t.offset + t.n_bytes, f.file_size());
    EXPECT_EQ(static_cast<int64_t>(t.n_bytes), t.n_rows() * kernels::row_bytes(t.traits, t.row_length()));
  }
}

// Tolerance for one dequantized value of a quantized type.
//
// gguf-py and the scalar kernels both compute in float32 from the same f16
// scales, usually in the same order, so most values agree exactly. Where the
// order differs, a value is a sum of two float32 terms (d * q + m, or
// d * sc * q - dmin * m) whose magnitudes are at most about twice the row's
// largest magnitude, so the rounding error is a few ulps of the row's scale,
// not of the value: a value that nearly cancels to zero can differ by far more
// than 1e-6 of itself. Hence 1e-6 relative, with an absolute floor of 1e-6 of
// the row's largest magnitude (about 8 float32 ulps of it).
double tolerance(double want, double row_max_abs) {
  return std::max(1e-6 * std::abs(want), 1e-6 * row_max_abs);
}

TEST_P(ModelGoldenTest, DequantizedRowsMatchGgufPy) {
  const gguf::GgufFile& f = file();
  ASSERT_FALSE(golden_["rows"].empty());
  std::map<std::string, int> rows_per_type;
  for (const json& r : golden_["rows"]) {
    const std::string name = r["tensor"].get<std::string>();
    const int64_t row = r["row"].get<int64_t>();
    SCOPED_TRACE(name + " row " + std::to_string(row));
    const gguf::TensorInfo& t = f.tensor(name);
    const std::string type = r["type"].get<std::string>();
    ASSERT_EQ(t.traits.name, type);
    ASSERT_EQ(t.dims, r["shape"].get<std::vector<int64_t>>());
    ASSERT_LT(row, t.n_rows());
    rows_per_type[type] += 1;

    const int64_t n = t.row_length();
    const std::byte* src = t.data + row * kernels::row_bytes(t.traits, n);
    std::vector<float> got(static_cast<size_t>(n), std::nanf(""));
    ASSERT_TRUE(kernels::scalar::dequantize_row(t.type, src, got.data(), n)) << "no dequantizer for " << type;

    const auto first = r["first"].get<std::vector<float>>();
    const auto last = r["last"].get<std::vector<float>>();
    ASSERT_EQ(first.size(), 8u);
    ASSERT_EQ(last.size(), 8u);
    const double max_abs = r["max_abs"].get<double>();
    const bool exact = is_exact_type(type);
    for (size_t i = 0; i < 16; ++i) {
      const size_t col = i < 8 ? i : static_cast<size_t>(n) - 16 + i;
      const float want = i < 8 ? first[i] : last[i - 8];
      if (exact) {
        EXPECT_EQ(got[col], want) << "column " << col;
      } else {
        EXPECT_NEAR(got[col], want, tolerance(want, max_abs)) << "column " << col;
      }
    }

    // The whole row, through its sum and largest magnitude (in double; the
    // sums may differ in order, hence the relative 1e-12 for exact types).
    double sum = 0, sum_abs = 0, got_max = 0;
    for (float v : got) {
      sum += v;
      sum_abs += std::abs(v);
      got_max = std::max(got_max, static_cast<double>(std::abs(v)));
    }
    const double want_sum_abs = r["sum_abs"].get<double>();
    const double sum_tol =
        exact ? 1e-12 * want_sum_abs : 1e-6 * want_sum_abs + static_cast<double>(n) * 1e-6 * max_abs;
    EXPECT_NEAR(sum, r["sum"].get<double>(), sum_tol);
    EXPECT_NEAR(sum_abs, want_sum_abs, sum_tol);
    if (exact) {
      EXPECT_EQ(got_max, max_abs);
    } else {
      EXPECT_NEAR(got_max, max_abs, 1e-6 * max_abs);
    }
  }
  // The golden file covers every tensor type in the model.
  for (const auto& [type, stats] : summarize_model(f).type_histogram) {
    EXPECT_GT(rows_per_type[type], 0) << "no golden rows of type " << type;
  }
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param.substr(0, info.param.find('-'));
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(DefaultModels, ModelGoldenTest,
                         ::testing::Values("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                                           "smollm2-135m-instruct-q4_1.gguf"),
                         param_name);

} // namespace
} // namespace lathe
