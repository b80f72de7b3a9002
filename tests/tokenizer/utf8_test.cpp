// UTF-8 validation, replacement and the streaming boundary, on hand-written
// byte strings whose status follows from RFC 3629's table of well-formed
// sequences.
#include "engine/tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace lathe::utf8 {
namespace {

TEST(Utf8, SequenceLengthOfWellFormedCharacters) {
  EXPECT_EQ(sequence_length("a", 0), 1u);
  EXPECT_EQ(sequence_length("\xC3\xA9", 0), 2u);         // é
  EXPECT_EQ(sequence_length("\xE4\xB8\xAD", 0), 3u);     // 中
  EXPECT_EQ(sequence_length("\xF0\x9F\x98\x80", 0), 4u); // 😀
  EXPECT_EQ(sequence_length("\xF4\x8F\xBF\xBF", 0), 4u); // U+10FFFF
  EXPECT_EQ(sequence_length("x\xC3\xA9", 1), 2u);
  EXPECT_EQ(sequence_length("a", 1), 0u); // past the end
}

TEST(Utf8, SequenceLengthRejectsIllFormedBytes) {
  EXPECT_EQ(sequence_length("\x80", 0), 0u);             // lone continuation
  EXPECT_EQ(sequence_length("\xC0\x80", 0), 0u);         // overlong NUL
  EXPECT_EQ(sequence_length("\xC1\xBF", 0), 0u);         // overlong
  EXPECT_EQ(sequence_length("\xE0\x80\x80", 0), 0u);     // overlong 3-byte
  EXPECT_EQ(sequence_length("\xED\xA0\x80", 0), 0u);     // surrogate U+D800
  EXPECT_EQ(sequence_length("\xF0\x80\x80\x80", 0), 0u); // overlong 4-byte
  EXPECT_EQ(sequence_length("\xF4\x90\x80\x80", 0), 0u); // above U+10FFFF
  EXPECT_EQ(sequence_length("\xF5\x80\x80\x80", 0), 0u); // not a lead byte
  EXPECT_EQ(sequence_length("\xFF", 0), 0u);
  EXPECT_EQ(sequence_length("\xE4\xB8", 0), 0u); // cut off
  EXPECT_EQ(sequence_length("\xC3(", 0), 0u);    // bad continuation
}

TEST(Utf8, FindInvalidNamesTheFirstBadOffset) {
  EXPECT_FALSE(find_invalid("").has_value());
  EXPECT_FALSE(find_invalid("plain \xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80").has_value());
  EXPECT_EQ(find_invalid("abc\xFF"), 3u);
  EXPECT_EQ(find_invalid("ab\xE4\xB8"), 2u);
  EXPECT_EQ(find_invalid("\xC3\xA9\x80"), 2u);
}

TEST(Utf8, ReplaceInvalidReplacesEachBadByte) {
  EXPECT_EQ(replace_invalid("a\xFF"
                            "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(replace_invalid("\xE4\xB8"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replace_invalid("\xC3(x"), "\xEF\xBF\xBD(x");
  EXPECT_EQ(replace_invalid("ok \xE4\xB8\xAD"), "ok \xE4\xB8\xAD");
}

TEST(Utf8, CompletePrefixHoldsBackOnlyUnfinishedCharacters) {
  EXPECT_EQ(complete_prefix(""), 0u);
  EXPECT_EQ(complete_prefix("abc"), 3u);
  EXPECT_EQ(complete_prefix("abc\xE4"), 3u);
  EXPECT_EQ(complete_prefix("abc\xE4\xB8"), 3u);
  EXPECT_EQ(complete_prefix("abc\xE4\xB8\xAD"), 6u);
  EXPECT_EQ(complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(complete_prefix("\xC3\xA9\xF0"), 2u);
  // Bytes that can never become valid are not held back.
  EXPECT_EQ(complete_prefix("a\xFF"), 2u);
  EXPECT_EQ(complete_prefix("a\xE4"
                            "a"),
            3u);
  EXPECT_EQ(complete_prefix("a\xED\xA0"), 3u); // a surrogate's first two bytes
  EXPECT_EQ(complete_prefix("a\x80"), 2u);
}

TEST(Utf8, EncodeCodePoints) {
  EXPECT_EQ(encode(0x41), "A");
  EXPECT_EQ(encode(0x120), "\xC4\xA0");
  EXPECT_EQ(encode(0x4E2D), "\xE4\xB8\xAD");
  EXPECT_EQ(encode(0x1F600), "\xF0\x9F\x98\x80");
}

} // namespace
} // namespace lathe::utf8
