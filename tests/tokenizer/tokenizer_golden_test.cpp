// The tokenizer against llama.cpp on the real default models: token ids of
// every corpus text (tests/data/tokenizer_corpus.json and the files it lists)
// with special parsing off and on, exact round trips through decode() and
// StreamDecoder, invalid UTF-8, end-of-generation ids, and chat prompts
// rendered by the models' own Jinja templates. The expected values are in
// tests/golden/tokenizer_<model>.json, written by tests/golden/make_tokens.py
// with llama-cpp-python.
//
// Models come from $LATHE_MODELS_DIR, else the build's LATHE_MODELS_DIR
// (models/ of the checkout). A missing model fails the test: fetch it with
// scripts/fetch-models.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace lathe {
namespace {

using nlohmann::json;

std::filesystem::path models_dir() {
  if (const char* env = std::getenv("LATHE_MODELS_DIR"); env && *env) return env;
  return LATHE_DEFAULT_MODELS_DIR;
}

std::filesystem::path data_dir() { return std::filesystem::path(LATHE_TEST_DATA_DIR) / "data"; }

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<int32_t> ids_of(const json& j) { return j.get<std::vector<int32_t>>(); }

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// A readable account of the first difference between two id sequences.
std::string describe_mismatch(const Tokenizer& t, const std::vector<int32_t>& got,
                              const std::vector<int32_t>& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  std::ostringstream s;
  s << "lengths " << got.size() << " (lathe) vs " << want.size() << " (reference); first difference at " << i;
  const auto show = [&](const std::vector<int32_t>& ids) {
    std::string out;
    for (size_t k = i; k < ids.size() && k < i + 6; ++k) {
      out += std::to_string(ids[k]) + "'" + std::string(t.token_bytes(ids[k])) + "' ";
    }
    return out;
  };
  s << "\n  lathe:     " << show(got) << "\n  reference: " << show(want);
  return s.str();
}

std::string stream_decode(const Tokenizer& t, const std::vector<int32_t>& ids) {
  StreamDecoder decoder(t);
  std::string out;
  for (int32_t id : ids) out += decoder.push(id);
  return out + decoder.flush();
}

// What a model's tests share: the file, its tokenizers and its golden data.
struct Fixture {
  std::optional<gguf::GgufFile> file;
  std::optional<Tokenizer> tokenizer;
  std::optional<Tokenizer> replacing; // InvalidUtf8::kReplace
  json golden;
  json corpus;
};

const Fixture& fixture(const std::string& stem) {
  static std::map<std::string, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[stem];
  if (!slot) {
    auto f = std::make_unique<Fixture>();
    f->file.emplace(gguf::GgufFile::open(models_dir() / (stem + ".gguf")));
    f->tokenizer.emplace(Tokenizer::from_gguf(*f->file));
    TokenizerOptions replace;
    replace.invalid_utf8 = InvalidUtf8::kReplace;
    f->replacing.emplace(Tokenizer::from_gguf(*f->file, replace));
    f->golden = json::parse(
        read_bytes(std::filesystem::path(LATHE_TEST_DATA_DIR) / "golden" / ("tokenizer_" + stem + ".json")));
    f->corpus = json::parse(read_bytes(data_dir() / "tokenizer_corpus.json"));
    slot = std::move(f);
  }
  return *slot;
}

class TokenizerGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::filesystem::path model = models_dir() / (GetParam() + ".gguf");
    ASSERT_TRUE(std::filesystem::is_regular_file(model))
        << "model file " << model << " is missing. Fetch the default models with scripts/fetch-models "
        << "(or point LATHE_MODELS_DIR at a directory holding " << GetParam() << ".gguf).";
    f_ = &fixture(GetParam());
  }
  const Tokenizer& tok() const { return *f_->tokenizer; }
  const Fixture* f_ = nullptr;
};

TEST_P(TokenizerGoldenTest, VocabularyFacts) {
  const json& g = f_->golden;
  EXPECT_EQ(tok().vocab_size(), g["vocab_size"].get<int32_t>());
  EXPECT_EQ(tok().bos_id(), g["bos_id"].get<int32_t>());
  EXPECT_EQ(tok().eos_id(), g["eos_id"].get<int32_t>());
  EXPECT_EQ(tok().add_bos(), g["add_bos"].get<bool>());
  EXPECT_EQ(tok().add_eos(), g["add_eos"].get<bool>());
  const std::vector<int32_t> eog(tok().end_of_generation_ids().begin(), tok().end_of_generation_ids().end());
  EXPECT_EQ(eog, ids_of(g["eog_ids"]));
  for (int32_t id : eog) EXPECT_TRUE(tok().is_end_of_generation(id)) << id;
  // The end-of-turn token of a ChatML model (llama.cpp's pick among several
  // candidates depends on hash order, so it is not compared).
  EXPECT_EQ(tok().piece(tok().eot_id()), "<|im_end|>");
  EXPECT_FALSE(tok().is_end_of_generation(-1));
  EXPECT_FALSE(tok().is_end_of_generation(tok().vocab_size()));
}

TEST_P(TokenizerGoldenTest, CorpusMatchesReferenceAndRoundTrips) {
  // The corpus texts in file order, then the files it lists (as the script).
  std::vector<std::pair<std::string, std::string>> texts;
  for (const json& t : f_->corpus["texts"]) texts.emplace_back(t["name"], t["text"].get<std::string>());
  for (const json& name : f_->corpus["files"])
    texts.emplace_back(name, read_bytes(data_dir() / name.get<std::string>()));
  const json& golden = f_->golden["texts"];
  ASSERT_EQ(golden.size(), texts.size()) << "the corpus changed: regenerate with tests/golden/make_tokens.py";

  size_t n_tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& [name, text] = texts[i];
    const json& g = golden[i];
    ASSERT_EQ(g["name"], name) << "the corpus changed: regenerate with tests/golden/make_tokens.py";
    ASSERT_EQ(g["n_bytes"].get<size_t>(), text.size())
        << name << ": regenerate with tests/golden/make_tokens.py";
    const std::vector<int32_t> want = ids_of(g["ids"]);
    const std::vector<int32_t> want_special = g.contains("ids_special") ? ids_of(g["ids_special"]) : want;

    const std::vector<int32_t> got = tok().encode(text, /*parse_special=*/false);
    const std::vector<int32_t> got_special = tok().encode(text, /*parse_special=*/true);
    EXPECT_EQ(got, want) << name << ", special parsing off: " << describe_mismatch(tok(), got, want);
    EXPECT_EQ(got_special, want_special)
        << name << ", special parsing on: " << describe_mismatch(tok(), got_special, want_special);
    EXPECT_EQ(tok().decode(got), text) << name;
    EXPECT_EQ(tok().decode(got_special), text) << name;
    EXPECT_EQ(stream_decode(tok(), got_special), text) << name;
    n_tokens += want.size();
  }
  RecordProperty("texts", static_cast<int>(texts.size()));
  RecordProperty("tokens", static_cast<int>(n_tokens));
  std::printf("[ golden   ] %s: %zu texts, %zu tokens (special parsing off) match the reference\n",
              GetParam().c_str(), texts.size(), n_tokens);
}

TEST_P(TokenizerGoldenTest, InvalidUtf8IsAnErrorOrReplacedLikeTheReference) {
  const json& golden = f_->golden["invalid_utf8"];
  const json& corpus = f_->corpus["invalid_utf8_hex"];
  ASSERT_EQ(golden.size(), corpus.size())
      << "the corpus changed: regenerate with tests/golden/make_tokens.py";
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string name = corpus[i]["name"];
    const std::string bytes = from_hex(corpus[i]["hex"]);
    EXPECT_THROW(tok().encode(bytes, false), TokenizerError) << name;
    const std::vector<int32_t> want = ids_of(golden[i]["ids"]);
    const std::vector<int32_t> want_special =
        golden[i].contains("ids_special") ? ids_of(golden[i]["ids_special"]) : want;
    const Tokenizer& r = *f_->replacing;
    EXPECT_EQ(r.encode(bytes, false), want)
        << name << ": " << describe_mismatch(r, r.encode(bytes, false), want);
    EXPECT_EQ(r.encode(bytes, true), want_special) << name;
  }
}

TEST_P(TokenizerGoldenTest, ChatPromptsMatchTheTemplate) {
  const json& golden = f_->golden["chats"];
  const json& corpus = f_->corpus["conversations"];
  ASSERT_EQ(golden.size(), corpus.size())
      << "the corpus changed: regenerate with tests/golden/make_tokens.py";
  const ChatTemplateKind kind = detect_chat_template(*f_->file);
  EXPECT_EQ(kind, ChatTemplateKind::kChatML);
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string name = corpus[i]["name"];
    std::vector<ChatMessage> messages;
    for (const json& m : corpus[i]["messages"]) messages.push_back({m["role"], m["content"]});
    const std::string prompt =
        apply_chat_template(kind, *f_->file, messages, corpus[i]["add_generation_prompt"].get<bool>());
    EXPECT_EQ(prompt, golden[i]["prompt"].get<std::string>()) << name;
    const std::vector<int32_t> want = ids_of(golden[i]["ids"]);
    const std::vector<int32_t> got = tok().encode(prompt, /*parse_special=*/true, /*add_bos_eos=*/true);
    EXPECT_EQ(got, want) << name << ": " << describe_mismatch(tok(), got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(DefaultModels, TokenizerGoldenTest,
                         ::testing::Values("qwen2.5-coder-0.5b-instruct-q4_k_m",
                                           "smollm2-135m-instruct-q4_1"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.starts_with("qwen") ? std::string("Qwen25Coder05B")
                                                                 : std::string("SmolLM2_135M");
                         });

} // namespace
} // namespace lathe
