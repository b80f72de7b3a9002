// GPT-2's byte-level alphabet: every byte 0..255 is given a printable code
// point so that byte-level BPE vocabularies can be stored as text. Printable
// Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other
// 68 bytes are numbered upward from U+0100 in byte order ("Ġ" = U+0120 is the
// space, "Ċ" = U+010A the newline).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lathe::byte_unicode {

// The code point that stands for `byte`.
uint32_t code_point(uint8_t byte);

// The UTF-8 text that stands for `byte` (one code point, 1 or 2 bytes).
std::string_view text(uint8_t byte);

// Raw bytes -> vocabulary text ("a b" -> "aĠb").
std::string encode(std::string_view raw);

// Vocabulary text -> raw bytes, appended to `out`. A character outside the
// alphabet (or a byte that is not UTF-8) is copied through unchanged and the
// result is false.
bool decode(std::string_view text, std::string& out);

} // namespace lathe::byte_unicode
