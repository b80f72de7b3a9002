// GPT-2's byte alphabet: the mapping is fixed by the published
// bytes_to_unicode() construction, so spot values are written out here.
#include "engine/tokenizer/byte_unicode.h"

#include <gtest/gtest.h>

#include <set>

namespace lathe::byte_unicode {
namespace {

TEST(ByteUnicode, PrintableBytesStandForThemselves) {
  EXPECT_EQ(code_point('!'), 0x21u);
  EXPECT_EQ(code_point('~'), 0x7Eu);
  EXPECT_EQ(code_point(0xA1), 0xA1u);
  EXPECT_EQ(code_point(0xAC), 0xACu);
  EXPECT_EQ(code_point(0xAE), 0xAEu);
  EXPECT_EQ(code_point(0xFF), 0xFFu);
}

TEST(ByteUnicode, OtherBytesAreNumberedFromU0100) {
  EXPECT_EQ(code_point(0x00), 0x100u);
  EXPECT_EQ(code_point('\n'), 0x10Au); // "Ċ"
  EXPECT_EQ(code_point(' '), 0x120u);  // "Ġ", the 33rd such byte
  EXPECT_EQ(code_point(0x7F), 0x121u);
  EXPECT_EQ(code_point(0xA0), 0x142u);
  EXPECT_EQ(code_point(0xAD), 0x143u); // the last of the 68
  EXPECT_EQ(text(' '), "\xC4\xA0");
}

TEST(ByteUnicode, TheMappingIsABijectionAndRoundTrips) {
  std::set<uint32_t> seen;
  std::string all;
  for (int b = 0; b < 256; ++b) {
    seen.insert(code_point(static_cast<uint8_t>(b)));
    all += static_cast<char>(b);
  }
  EXPECT_EQ(seen.size(), 256u);
  std::string back;
  EXPECT_TRUE(decode(encode(all), back));
  EXPECT_EQ(back, all);
}

TEST(ByteUnicode, DecodeVocabularyText) {
  std::string out;
  EXPECT_TRUE(decode("Hello\xC4\xA0world\xC4\x8A", out)); // "HelloĠworldĊ"
  EXPECT_EQ(out, "Hello world\n");
  EXPECT_EQ(encode("a b\n"),
            "a\xC4\xA0"
            "b\xC4\x8A");
}

TEST(ByteUnicode, CharactersOutsideTheAlphabetPassThrough) {
  std::string out;
  EXPECT_FALSE(
      decode("a\xE2\x82\xAC"
             "b",
             out)); // "€" is not in the alphabet
  EXPECT_EQ(out,
            "a\xE2\x82\xAC"
            "b");
  out.clear();
  EXPECT_FALSE(decode("\xFF", out));
  EXPECT_EQ(out, "\xFF");
}

} // namespace
} // namespace lathe::byte_unicode
