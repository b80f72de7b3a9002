#include "engine/tokenizer/byte_unicode.h"

#include <algorithm>
#include <array>

#include "engine/tokenizer/utf8.h"

namespace lathe::byte_unicode {
namespace {

bool stands_for_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); }

struct Tables {
  std::array<uint32_t, 256> code_point{};
  std::array<std::string, 256> text;
  // Inverse map: every code point of the alphabet is below U+0144.
  std::array<int16_t, 0x144> byte_of{};

  Tables() {
    byte_of.fill(-1);
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      code_point[b] = stands_for_itself(b) ? static_cast<uint32_t>(b) : next++;
      text[b] = utf8::encode(code_point[b]);
      byte_of[code_point[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

} // namespace

uint32_t code_point(uint8_t byte) { return tables().code_point[byte]; }

std::string_view text(uint8_t byte) { return tables().text[byte]; }

std::string encode(std::string_view raw) {
  const Tables& t = tables();
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) out += t.text[static_cast<uint8_t>(c)];
  return out;
}

bool decode(std::string_view s, std::string& out) {
  const Tables& t = tables();
  bool all_mapped = true;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = std::max<size_t>(1, utf8::sequence_length(s, pos));
    const auto c0 = static_cast<uint8_t>(s[pos]);
    uint32_t cp = 0x110000; // not in the alphabet
    if (n == 1 && c0 < 0x80) {
      cp = c0;
    } else if (n == 2) {
      cp = ((c0 & 0x1Fu) << 6) | (static_cast<uint8_t>(s[pos + 1]) & 0x3Fu);
    }
    if (cp < t.byte_of.size() && t.byte_of[cp] >= 0) {
      out += static_cast<char>(t.byte_of[cp]);
    } else {
      out.append(s.substr(pos, n));
      all_mapped = false;
    }
    pos += n;
  }
  return all_mapped;
}

} // namespace lathe::byte_unicode
