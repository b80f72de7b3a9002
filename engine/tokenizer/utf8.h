// UTF-8 helpers for the tokenizer: strict validation (no overlong forms, no
// surrogates, nothing above U+10FFFF), replacement of invalid bytes, and the
// boundary a streaming decoder may print up to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lathe::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the well-formed sequence starting at s[pos], or 0 when the bytes
// there do not start one (bad lead byte, bad continuation, overlong form,
// surrogate, above U+10FFFF, or cut off by the end of s).
size_t sequence_length(std::string_view s, size_t pos);

// Byte offset of the first byte that does not start a well-formed sequence.
std::optional<size_t> find_invalid(std::string_view s);

// s with each byte that does not start a well-formed sequence replaced by
// U+FFFD, one replacement per byte (as llama.cpp does for the bytes it
// rejects).
std::string replace_invalid(std::string_view s);

// Length of the longest prefix of s that ends on a character boundary, i.e.
// without the trailing bytes that could still become a well-formed sequence
// once more bytes arrive (at most 3). Invalid bytes count as complete: they
// never become valid.
size_t complete_prefix(std::string_view s);

// The UTF-8 encoding of a code point (no validation; callers pass scalars).
std::string encode(uint32_t codepoint);

} // namespace lathe::utf8
