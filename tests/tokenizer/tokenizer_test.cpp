// The Tokenizer on small vocabularies built by hand, where every expected id
// follows from the merge ranks written here: merge order and ties, special
// tokens, flags, decoding, streaming and errors.
#include "engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tokenizer/byte_unicode.h"

namespace lathe {
namespace {

using Ids = std::vector<int32_t>;

// Ids 0..255: the byte alphabet in byte order, so id(b) == b.
TokenizerVocab byte_vocab() {
  TokenizerVocab v;
  v.pre = "gpt-2";
  for (int b = 0; b < 256; ++b) v.tokens.emplace_back(byte_unicode::text(static_cast<uint8_t>(b)));
  v.types.assign(256, TokenType::kNormal);
  return v;
}

int32_t add_token(TokenizerVocab& v, std::string text, TokenType type = TokenType::kNormal) {
  v.tokens.push_back(std::move(text));
  v.types.push_back(type);
  return static_cast<int32_t>(v.tokens.size() - 1);
}

// A vocabulary with merges chosen so that order matters:
//   rank 0 "b c", rank 1 "a b", rank 2 "a bc", rank 3 "a a", rank 4 "aa aa",
//   rank 5 "Ġ a", rank 6 "x y" (result not in the vocabulary), rank 7 "xy z".
struct Small {
  TokenizerVocab v = byte_vocab();
  int32_t bc, ab, abc, aa, aaaa, sp_a, xyz, im_start, im_end, tool, eot_text, unused;
  Small() {
    bc = add_token(v, "bc");
    ab = add_token(v, "ab");
    abc = add_token(v, "abc");
    aa = add_token(v, "aa");
    aaaa = add_token(v, "aaaa");
    sp_a = add_token(v,
                     "\xC4\xA0"
                     "a");
    xyz = add_token(v, "xyz");
    im_start = add_token(v, "<|im_start|>", TokenType::kControl);
    im_end = add_token(v, "<|im_end|>", TokenType::kControl);
    tool = add_token(v, "<tool>", TokenType::kUserDefined);
    eot_text = add_token(v, "</s>"); // a normal token with an end-of-turn text
    unused = add_token(v, "[PAD9]", TokenType::kUnused);
    v.merges = {"b c", "a b", "a bc", "a a", "aa aa", "\xC4\xA0 a", "x y", "xy z"};
    v.bos_id = im_start;
    v.eos_id = im_end;
  }
};

TEST(Tokenizer, LowestRankMergesFirst) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  // "b c" (rank 0) beats "a b" (rank 1), and "a bc" then applies.
  EXPECT_EQ(t.encode("abc", false), Ids{s.abc});
  EXPECT_EQ(t.encode("ab", false), Ids{s.ab});
  EXPECT_EQ(t.encode("cab", false), (Ids{'c', s.ab}));
}

TEST(Tokenizer, EqualRanksMergeLeftmostFirst) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_EQ(t.encode("aaa", false), (Ids{s.aa, 'a'}));
  EXPECT_EQ(t.encode("aaaa", false), Ids{s.aaaa});
  EXPECT_EQ(t.encode("aaaaa", false), (Ids{s.aaaa, 'a'}));
  EXPECT_EQ(t.encode(" a", false), Ids{s.sp_a});
  EXPECT_EQ(t.encode("a a", false), (Ids{'a', s.sp_a}));
}

TEST(Tokenizer, MergesThroughATextOutsideTheVocabulary) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  // "xy" is not a token: alone it falls back to its bytes, but "xy z" merges on.
  EXPECT_EQ(t.encode("xy", false), (Ids{'x', 'y'}));
  EXPECT_EQ(t.encode("xyz", false), Ids{s.xyz});
}

TEST(Tokenizer, LongWordsMergeInLogLinearTime) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  const auto start = std::chrono::steady_clock::now();
  const Ids ids = t.encode(std::string(400001, 'a'), false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(ids.size(), 100001u);
  EXPECT_EQ(ids.front(), s.aaaa);
  EXPECT_EQ(ids.back(), 'a');
  // Debug builds with sanitizers (the dev preset) run this loop about ten
  // times slower; a quadratic one would still take far longer than either bound.
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
  constexpr double kLimit = 5.0;
#else
  constexpr double kLimit = 60.0;
#endif
  EXPECT_LT(seconds, kLimit) << "a quadratic merge loop would take minutes here";
}

TEST(Tokenizer, ControlTokensAreParsedOnlyWhenAsked) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_EQ(t.encode("<|im_start|>ab<|im_end|>", true), (Ids{s.im_start, s.ab, s.im_end}));
  const Ids plain = t.encode("<|im_start|>", false);
  EXPECT_EQ(plain, (Ids{'<', '|', 'i', 'm', '_', 's', 't', 'a', 'r', 't', '|', '>'}));
  // Cut-out texts are not merged across: "a" and "b" on either side stay apart.
  EXPECT_EQ(t.encode("a<|im_end|>b", true), (Ids{'a', s.im_end, 'b'}));
}

TEST(Tokenizer, UserDefinedTokensAreAlwaysParsed) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_EQ(t.encode("ab<tool>ab", false), (Ids{s.ab, s.tool, s.ab}));
  EXPECT_EQ(t.encode("ab<tool>ab", true), (Ids{s.ab, s.tool, s.ab}));
}

TEST(Tokenizer, LongerSpecialTokensWin) {
  Small s;
  const int32_t pair = add_token(s.v, "<|im_end|><|im_start|>", TokenType::kControl);
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_EQ(t.encode("<|im_end|><|im_start|><|im_end|>", true), (Ids{pair, s.im_end}));
}

TEST(Tokenizer, EndOfTurnTextsEndGenerationAndBecomeControl) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_TRUE(t.is_end_of_generation(s.im_end));
  EXPECT_TRUE(t.is_end_of_generation(s.eot_text)); // "</s>", as llama.cpp
  EXPECT_FALSE(t.is_end_of_generation(s.im_start));
  EXPECT_FALSE(t.is_end_of_generation(-5));
  EXPECT_EQ(t.eot_id(), s.im_end);
  EXPECT_EQ(t.encode("</s>", true), Ids{s.eot_text});
  EXPECT_EQ(t.encode("</s>", false), (Ids{'<', '/', 's', '>'}));
}

TEST(Tokenizer, BosAndEosFollowTheFlags) {
  Small s;
  s.v.add_bos = 1;
  s.v.add_eos = 1;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_EQ(t.encode("ab", false), (Ids{s.im_start, s.ab, s.im_end}));
  EXPECT_EQ(t.encode("ab", false, /*add_bos_eos=*/false), Ids{s.ab});
  EXPECT_EQ(t.encode("", false), (Ids{s.im_start, s.im_end}));

  Small plain;
  EXPECT_EQ(Tokenizer::from_vocab(plain.v).encode("", true), Ids{});
  plain.v.pre = "llama-bpe"; // Llama 3 adds BOS unless the file says otherwise
  EXPECT_TRUE(Tokenizer::from_vocab(plain.v).add_bos());
}

TEST(Tokenizer, DecodeRendersBytesAndOptionallySpecials) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  const Ids ids = {s.im_start, s.sp_a, s.tool, '\n', s.unused, s.im_end};
  EXPECT_EQ(t.decode(ids), "<|im_start|> a<tool>\n<|im_end|>");
  EXPECT_EQ(t.decode(ids, /*render_special=*/false), " a<tool>\n");
  EXPECT_EQ(t.piece(s.sp_a),
            "\xC4\xA0"
            "a");
  EXPECT_EQ(t.piece('\n'), "\xC4\x8A");
  EXPECT_EQ(t.type(s.tool), TokenType::kUserDefined);
}

TEST(Tokenizer, RoundTripsArbitraryBytesWhenValid) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  const std::string text = "aaab c\t\r\n  <tool> \xE4\xB8\xAD\xF0\x9F\x98\x80 xyz 1234 it's";
  EXPECT_EQ(t.decode(t.encode(text, false)), text);
  EXPECT_EQ(t.decode(t.encode(text, true)), text);
}

TEST(Tokenizer, OutOfRangeIdsThrow) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  EXPECT_THROW(t.decode(Ids{-1}), std::out_of_range);
  EXPECT_THROW(t.decode(Ids{t.vocab_size()}), std::out_of_range);
  EXPECT_THROW(t.piece(t.vocab_size()), std::out_of_range);
  StreamDecoder d(t);
  EXPECT_THROW(d.push(1 << 30), std::out_of_range);
}

TEST(Tokenizer, InvalidUtf8IsAnErrorUnlessReplacementIsAsked) {
  Small s;
  const Tokenizer strict = Tokenizer::from_vocab(s.v);
  try {
    strict.encode("ab\xFF", false);
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("offset 2"), std::string::npos) << e.what();
  }
  TokenizerOptions options;
  options.invalid_utf8 = InvalidUtf8::kReplace;
  const Tokenizer lenient = Tokenizer::from_vocab(s.v, options);
  EXPECT_EQ(lenient.encode("ab\xFF", false), (Ids{s.ab, 0xEF, 0xBF, 0xBD}));
}

TEST(Tokenizer, BadVocabulariesAreClearErrors) {
  Small s;
  s.v.model = "llama";
  EXPECT_THROW(Tokenizer::from_vocab(s.v), TokenizerError);

  Small unknown;
  unknown.v.pre = "mystery-bpe";
  try {
    Tokenizer::from_vocab(unknown.v);
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("'mystery-bpe'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("override"), std::string::npos) << e.what();
  }
  TokenizerOptions options;
  options.pre_tokenizer_override = "gpt2";
  EXPECT_EQ(Tokenizer::from_vocab(unknown.v, options).pre_tokenizer(), "gpt-2");

  Small none;
  none.v.pre.clear();
  EXPECT_THROW(Tokenizer::from_vocab(none.v), TokenizerError);

  Small dup;
  add_token(dup.v, "ab");
  EXPECT_THROW(Tokenizer::from_vocab(dup.v), TokenizerError);

  Small bad_id;
  bad_id.v.eos_id = 1 << 20;
  EXPECT_THROW(Tokenizer::from_vocab(bad_id.v), TokenizerError);
}

TEST(StreamDecoder, HoldsBackPartialCharacters) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  StreamDecoder d(t);
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x98), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.push(0xE4), "");
  EXPECT_EQ(d.push(s.im_end), "\xEF\xBF\xBD<|im_end|>"); // the cut-off character can never complete
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamDecoder, ConcatenationEqualsDecode) {
  Small s;
  const Tokenizer t = Tokenizer::from_vocab(s.v);
  const Ids ids =
      t.encode("<|im_start|>aaab \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!", true);
  StreamDecoder d(t);
  std::string out;
  for (int32_t id : ids) out += d.push(id);
  out += d.flush();
  EXPECT_EQ(out, t.decode(ids));
  StreamDecoder quiet(t, /*render_special=*/false);
  EXPECT_EQ(quiet.push(s.im_start), "");
}

} // namespace
} // namespace lathe
