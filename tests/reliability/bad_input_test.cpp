// The bad-input catalogue (docs/errors.md), engine rows: each damaged model,
// prompt or budget gives an exception whose message names what is wrong, or
// the documented graceful behaviour. Models are the tiny one of
// chat_model.h, written to a test directory. The rows the decoder's own tests
// cover (tests/runtime/forward_test.cpp: missing tensor, wrong shape, a type
// without kernels, unsupported architecture) are not repeated here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/generate/adapters.h"
#include "engine/generate/generate.h"
#include "engine/model/memory_check.h"
#include "engine/model/model.h"
#include "engine/model/weight_check.h"
#include "engine/runtime/session.h"
#include "engine/sampler/sampler.h"
#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/tokenizer.h"
#include "reliability/chat_model.h"

namespace lathe {
namespace {

using ::testing::AllOf;
using testing::chat_model_writer;
using ::testing::HasSubstr;
using testing::make_chat_model;
using testing::TinyModel;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

class BadInputTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const TinyModel& m, const std::string& name = "model.gguf") {
    return dir_.write(name, chat_model_writer(m).build());
  }
  // The message of the GgufError Model::load throws for the file at `path`.
  static std::string load_error(const std::filesystem::path& path) {
    try {
      Model::load(path);
    } catch (const gguf::GgufError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the model loaded";
    return {};
  }

  gguf::testing::TestDir dir_;
};

TEST_F(BadInputTest, TheTinyModelLoadsAndGenerates) {
  const Model model = Model::load(write(make_chat_model()));
  const Tokenizer tok = Tokenizer::from_gguf(model.file());
  Session session(model);
  SessionEvaluator eval(session);
  TokenizerText text(tok);
  Sampler sampler(model.config().vocab_size, SamplerParams{.temperature = 0.0f});
  GenerateOptions options;
  options.max_new_tokens = 5;
  options.ignore_eos = true;
  const GenerateResult r = generate(eval, text, sampler, tok.encode("hello", false), options);
  EXPECT_EQ(r.tokens.size(), 5u);
  EXPECT_EQ(r.stop, StopReason::kTokenBudget);
}

TEST_F(BadInputTest, EmbeddingOfTheWrongWidth) {
  TinyModel m = make_chat_model();
  m.dims["token_embd.weight"] = {32, 2 * 258};
  EXPECT_THAT(load_error(write(m)), AllOf(HasSubstr("model.gguf"),
                                          HasSubstr("tensor 'token_embd.weight' has "
                                                    "shape 32 x 516"),
                                          HasSubstr("expected 64 x vocabulary")));
}

TEST_F(BadInputTest, NormWeightThatIsNotF32) {
  gguf::testing::GgufWriter w = chat_model_writer(make_chat_model(), {"output_norm.weight"});
  w.tensor_filled("output_norm.weight", kernels::QuantType::F16, {64});
  EXPECT_THAT(load_error(dir_.write("f16norm.gguf", w.build())),
              AllOf(HasSubstr("tensor 'output_norm.weight' has type F16"), HasSubstr("needs F32")));
}

TEST_F(BadInputTest, NonFiniteWeightsAreNamedByTheCheck) {
  TinyModel m = make_chat_model();
  // attn_v is (32 rows, 64 columns): values 69 and 70 are row 1, columns 5 and 6.
  m.tensors["blk.0.attn_v.weight"][69] = kNaN;
  m.tensors["blk.0.attn_v.weight"][70] = kInf;
  m.tensors["output_norm.weight"][1] = -kInf;
  const auto file = gguf::GgufFile::open(write(m));
  const WeightCheck check = check_weights(file);
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.n_tensors, static_cast<int64_t>(file.tensors().size()));
  ASSERT_EQ(check.bad.size(), 2u);
  EXPECT_EQ(check.bad[0].name, "blk.0.attn_v.weight");
  EXPECT_EQ(check.bad[0].n_nan, 1);
  EXPECT_EQ(check.bad[0].n_inf, 1);
  EXPECT_EQ(check.bad[0].first_row, 1);
  EXPECT_EQ(check.bad[0].first_col, 5);
  EXPECT_THAT(check.message(),
              AllOf(HasSubstr("tensor 'blk.0.attn_v.weight' has 1 NaN and 1 Inf values (the first at row 1, "
                              "column 5)"),
                    HasSubstr("tensor 'output_norm.weight' has 0 NaN and 1 Inf values")));
  EXPECT_TRUE(check_weights(gguf::GgufFile::open(write(make_chat_model(), "clean.gguf"))).ok());
}

// Without the check a model with NaN weights still loads and runs: its logits
// are NaN, and sampling still returns a token of the vocabulary (greedy and
// with every filter on). Under the sanitizer build this also shows that the
// forward pass has no undefined behaviour on NaN.
TEST_F(BadInputTest, NonFiniteWeightsWithoutTheCheckGiveTokensInRange) {
  TinyModel m = make_chat_model();
  std::vector<float>& down = m.tensors["blk.0.ffn_down.weight"];
  down[0] = kNaN;
  down[1] = kInf;
  down[2] = -kInf;
  const Model model = Model::load(write(m));
  Session session(model);
  const std::vector<int32_t> prompt = {104, 105, 33};
  const std::span<const float> logits = session.eval(prompt);
  EXPECT_TRUE(std::isnan(logits[0]) || std::isinf(logits[0]));
  for (const SamplerParams& p :
       {SamplerParams{.temperature = 0.0f}, SamplerParams{.temperature = 0.8f},
        SamplerParams{
            .temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .repeat_penalty = 1.3f}}) {
    Sampler sampler(model.config().vocab_size, p);
    const int32_t token = sampler.sample(logits);
    EXPECT_GE(token, 0);
    EXPECT_LT(token, model.config().vocab_size);
  }
}

// A model whose weights need twice the memory available fails at load, before
// any weight is read, saying how much it needs and how much there is. The
// file is sparse: it takes no disk space and is never read.
TEST_F(BadInputTest, ModelLargerThanTheMemory) {
  const AvailableMemory available = available_memory();
  if (available.bytes == UINT64_MAX) GTEST_SKIP() << "this system reports no available memory";
  const uint64_t rows = 2 * available.bytes / (64 * sizeof(float)) + 1;
  gguf::testing::GgufWriter w = chat_model_writer(make_chat_model(), {"token_embd.weight"});
  w.tensor({.name = "token_embd.weight", .dims = {64, rows}, .type_id = 0, .data = {}, .offset = {}});
  gguf::testing::Layout layout;
  const std::filesystem::path path = dir_.write("huge.gguf", w.build(&layout));
  std::filesystem::resize_file(path,
                               layout.data_offset + layout.tensor_offsets.back() + rows * 64 * sizeof(float));
  try {
    Model::load(path);
    FAIL() << "a model of " << std::filesystem::file_size(path) << " bytes loaded";
  } catch (const OutOfMemoryError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("huge.gguf: the model needs"), HasSubstr(" GiB of memory, but "),
                                HasSubstr(" GiB is available (" + available.source + ")")));
  }
}

TEST(RequireMemory, NamesWhatNeedsHowMuchAndTheLimit) {
  const AvailableMemory limit{.bytes = uint64_t{3} << 30, .source = "a test limit"};
  EXPECT_NO_THROW(require_memory(uint64_t{3} << 30, "x", limit));
  try {
    require_memory(uint64_t{5} << 30, "model.gguf: the model", limit);
    FAIL();
  } catch (const OutOfMemoryError& e) {
    EXPECT_STREQ(e.what(),
                 "model.gguf: the model needs 5.0 GiB of memory, but 3.0 GiB is available (a test limit)");
  }
  EXPECT_NO_THROW(require_memory(UINT64_MAX - 1, "x", AvailableMemory{}));
}

// What NaN or Inf weights turn activations into must not make the kernels'
// activation quantizers convert NaN to an integer (undefined behaviour, which
// the sanitizer build reports): the scalar reference and the active table.
TEST(NonFiniteActivations, QuantizeWithoutUndefinedBehaviour) {
  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * static_cast<float>(i % 17) - 2.0f;
  x[3] = kNaN;
  x[40] = kInf;
  x[77] = -kInf;
  std::vector<std::byte> out(4096);
  for (const kernels::KernelTable* table : {&kernels::scalar_kernels(), &kernels::active_kernels()}) {
    for (const kernels::QuantizeRowFn q :
         {table->quantize_q8_0, table->quantize_q8_1, table->quantize_q8_k}) {
      if (q) q(x.data(), out.data(), static_cast<int64_t>(x.size()));
    }
  }
}

// NaN logits (some rows of the output matrix NaN) are the least likely
// tokens: never drawn while any other token has a probability, and no NaN
// reaches the sampler's sort, whose ordering it would break.
TEST(NonFiniteActivations, NaNLogitsAreNeverSampled) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = i % 3 == 0 ? kNaN : 0.01f * static_cast<float>(i % 101);
  for (const SamplerParams& p :
       {SamplerParams{.temperature = 0.0f}, SamplerParams{.temperature = 0.8f},
        SamplerParams{.temperature = 1.5f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f}}) {
    Sampler sampler(static_cast<int64_t>(logits.size()), p);
    for (int draw = 0; draw < 200; ++draw) {
      const int32_t id = sampler.sample(logits);
      ASSERT_GE(id, 0);
      ASSERT_LT(id, 1000);
      EXPECT_NE(id % 3, 0) << "drew token " << id << ", whose logit is NaN";
    }
  }
  const std::vector<float> all_nan(1000, kNaN);
  Sampler sampler(1000, SamplerParams{.temperature = 0.8f});
  const int32_t id = sampler.sample(all_nan);
  EXPECT_GE(id, 0);
  EXPECT_LT(id, 1000);
}

class PromptTest : public BadInputTest {
 protected:
  PromptTest()
      : model_(Model::load(write(make_chat_model()))),
        tok_(Tokenizer::from_gguf(model_.file())),
        session_(model_),
        eval_(session_),
        text_(tok_),
        sampler_(model_.config().vocab_size, SamplerParams{.temperature = 0.0f}) {}

  GenerateResult run(std::span<const int32_t> prompt, const GenerateOptions& options) {
    return generate(eval_, text_, sampler_, prompt, options);
  }

  Model model_;
  Tokenizer tok_;
  Session session_;
  SessionEvaluator eval_;
  TokenizerText text_;
  Sampler sampler_;
};

TEST_F(PromptTest, PromptLongerThanTheContext) {
  const std::vector<int32_t> prompt = tok_.encode(std::string(40, 'x'), false);
  ASSERT_EQ(prompt.size(), 40u);
  try {
    run(prompt, {});
    FAIL() << "a 40-token prompt fitted in a context of 32";
  } catch (const std::length_error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("the prompt is 40 tokens"), HasSubstr("context of 32"),
                                HasSubstr("room for 31 more")));
  }
  EXPECT_EQ(session_.n_past(), 0) << "nothing is evaluated";
  // The documented way out: truncation keeps the newest tokens.
  GenerateOptions options;
  options.truncate_prompt = true;
  options.max_new_tokens = 4;
  options.ignore_eos = true;
  const GenerateResult r = run(prompt, options);
  EXPECT_GT(r.n_prompt_dropped, 0);
  EXPECT_EQ(r.tokens.size(), 4u);
}

TEST_F(PromptTest, PromptThatFillsTheContextExactly) {
  // 32 tokens leave no room for a reply: refused like a longer one.
  EXPECT_THROW(run(std::vector<int32_t>(32, 120), {}), std::length_error);
}

TEST_F(PromptTest, EmptyPrompt) {
  EXPECT_TRUE(tok_.encode("", false).empty());
  try {
    run({}, {});
    FAIL() << "an empty prompt was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("the prompt is empty"));
  }
}

TEST_F(PromptTest, TokenBudgetOfZero) {
  GenerateOptions options;
  options.max_new_tokens = 0;
  const GenerateResult r = run(tok_.encode("hello", false), options);
  EXPECT_TRUE(r.tokens.empty());
  EXPECT_TRUE(r.text.empty());
  EXPECT_EQ(r.stop, StopReason::kTokenBudget);
  EXPECT_EQ(r.timings.n_prompt, 5) << "the prompt is still read";
}

TEST_F(PromptTest, TokenOutsideTheVocabulary) {
  const std::vector<int32_t> prompt = {1, 258};
  EXPECT_THROW(session_.eval(prompt), std::out_of_range);
  EXPECT_EQ(session_.n_past(), 0);
}

TEST_F(PromptTest, InvalidUtf8) {
  try {
    tok_.encode(
        "ab\xFF"
        "c",
        false);
    FAIL() << "invalid UTF-8 was encoded";
  } catch (const TokenizerError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("UTF-8"), HasSubstr("offset 2")));
  }
  TokenizerOptions replace;
  replace.invalid_utf8 = InvalidUtf8::kReplace;
  const Tokenizer lenient = Tokenizer::from_gguf(model_.file(), replace);
  EXPECT_EQ(lenient.decode(lenient.encode("ab\xFF", false)), "ab\xEF\xBF\xBD");
}

// A byte whose alphabet symbol is not in the vocabulary is dropped, as
// llama.cpp does (SmolLM2 lacks 04 06 13 14 16 1d); the rest is encoded.
TEST_F(PromptTest, BytesTheVocabularyLacksAreDropped) {
  TokenizerVocab v;
  v.pre = "smollm";
  for (int b = 0; b < 256; ++b) {
    if (b != 0x13) v.tokens.emplace_back(byte_unicode::text(static_cast<uint8_t>(b)));
  }
  const Tokenizer tok = Tokenizer::from_vocab(v);
  EXPECT_EQ(tok.decode(tok.encode("a\x13"
                                  "b",
                                  false)),
            "ab");
}

} // namespace
} // namespace lathe
