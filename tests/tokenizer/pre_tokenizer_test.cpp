// Pre-tokenizer splits worked out by hand from the models' expressions.
#include "engine/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer_error.h"

namespace lathe {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(std::string_view name, std::string_view text) {
  std::vector<std::string_view> views;
  PreTokenizer::create(name).split(text, views);
  std::string joined;
  for (auto v : views) joined += v;
  EXPECT_EQ(joined, text) << "pieces must cover the text exactly";
  return Pieces(views.begin(), views.end());
}

TEST(PreTokenizer, Qwen2WordsSpacesAndSingleDigits) {
  EXPECT_EQ(split("qwen2", "Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split("qwen2", "I'm 123"), (Pieces{"I", "'m", " ", "1", "2", "3"}));
  EXPECT_EQ(split("qwen2", "YOU'RE"), (Pieces{"YOU", "'RE"}));
  EXPECT_EQ(split("qwen2", "a  b"), (Pieces{"a", " ", " b"}));
  EXPECT_EQ(split("qwen2", "(hi)"), (Pieces{"(hi", ")"}));
}

TEST(PreTokenizer, Qwen2NewlinesAndPunctuation) {
  // \s*[\r\n]+ ends at the last newline of a whitespace run.
  EXPECT_EQ(split("qwen2", "x\n\n  y"), (Pieces{"x", "\n\n", " ", " y"}));
  EXPECT_EQ(split("qwen2", "x \r\n\ty"), (Pieces{"x", " \r\n", "\ty"}));
  // Punctuation takes the newlines that follow it.
  EXPECT_EQ(split("qwen2", "end...!!\n\nNext"), (Pieces{"end", "...!!\n\n", "Next"}));
  EXPECT_EQ(split("qwen2", "trailing   "), (Pieces{"trailing", "   "}));
}

TEST(PreTokenizer, Llama3GroupsUpToThreeDigits) {
  EXPECT_EQ(split("llama-bpe", "12345"), (Pieces{"123", "45"}));
  EXPECT_EQ(split("llama3", "x 1234567"), (Pieces{"x", " ", "123", "456", "7"}));
}

TEST(PreTokenizer, SmolLMSplitsDigitsFirstThenGpt2) {
  EXPECT_EQ(split("smollm", "abc123 def"), (Pieces{"abc", "1", "2", "3", " def"}));
  EXPECT_EQ(split("smollm", "x 42"), (Pieces{"x", " ", "4", "2"}));
  // The second expression sees each piece alone: the spaces before a digit
  // end their piece, so \s+(?!\S) keeps them all.
  EXPECT_EQ(split("smollm", "a  1"), (Pieces{"a", "  ", "1"}));
}

TEST(PreTokenizer, Gpt2KeepsUnmatchedWhitespaceAsItsOwnPiece) {
  EXPECT_EQ(split("gpt-2", "Hello, world!"), (Pieces{"Hello", ",", " world", "!"}));
  EXPECT_EQ(split("gpt2", "a\tb"), (Pieces{"a", "\t", "b"}));
  EXPECT_EQ(split("gpt2", "it's 2024"), (Pieces{"it", "'s", " 2024"}));
  EXPECT_EQ(split("gpt2", "IT'S"), (Pieces{"IT", "'", "S"})); // GPT-2's contractions are lower case only
}

TEST(PreTokenizer, WhitespaceIsUnicodeWhiteSpace) {
  // U+0085 (NEL) is White_Space; U+180E (Mongolian vowel separator) no
  // longer is, although PCRE2's \s still matches it.
  EXPECT_EQ(split("gpt2", "x\xC2\x85y"), (Pieces{"x", "\xC2\x85", "y"}));
  EXPECT_EQ(split("qwen2",
                  "a\xE1\xA0\x8E"
                  "b"),
            (Pieces{"a",
                    "\xE1\xA0\x8E"
                    "b"}));
  EXPECT_EQ(split("qwen2",
                  "a\xE3\x80\x80\xE3\x80\x80"
                  "b"),
            (Pieces{"a", "\xE3\x80\x80",
                    "\xE3\x80\x80"
                    "b"}));
}

TEST(PreTokenizer, DefaultSplitsPunctuationRunsFirst) {
  EXPECT_EQ(split("default", "a+=b"), (Pieces{"a", "+=", "b"}));
}

TEST(PreTokenizer, EmptyTextGivesNoPieces) { EXPECT_TRUE(split("qwen2", "").empty()); }

TEST(PreTokenizer, LongRunsDoNotOverflowTheMatcher) {
  const std::string spaces(200000, ' ');
  const Pieces a = split("qwen2", "x" + spaces + "y");
  EXPECT_EQ(a, (Pieces{"x", std::string(199999, ' '), " y"}));
  const std::string letters(200000, 'a');
  EXPECT_EQ(split("smollm", letters), (Pieces{letters}));
}

TEST(PreTokenizer, UnknownNameIsAClearError) {
  try {
    PreTokenizer::create("klingon");
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'klingon'"), std::string::npos) << message;
    EXPECT_NE(message.find("qwen2"), std::string::npos) << message;
  }
}

TEST(PreTokenizer, AliasesShareTheCanonicalName) {
  EXPECT_EQ(PreTokenizer::create("llama3").name(), "llama-bpe");
  EXPECT_TRUE(PreTokenizer::create("llama3").ignore_merges());
  EXPECT_TRUE(PreTokenizer::create("llama3").default_add_bos());
  EXPECT_EQ(PreTokenizer::create("starcoder").name(), "smollm");
  EXPECT_FALSE(PreTokenizer::create("qwen2").default_add_bos());
}

} // namespace
} // namespace lathe
