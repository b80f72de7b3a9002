#include "engine/tokenizer/utf8.h"

namespace lathe::utf8 {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The valid range of the second byte for a given lead byte (RFC 3629 table):
// this is what rules out overlong forms, surrogates and code points above
// U+10FFFF without decoding.
struct LeadInfo {
  int length;           // 0 = not a lead byte
  unsigned char lo, hi; // allowed second byte
};

LeadInfo lead_info(unsigned char c) {
  if (c < 0x80) return {1, 0, 0};
  if (c < 0xC2) return {0, 0, 0};
  if (c < 0xE0) return {2, 0x80, 0xBF};
  if (c == 0xE0) return {3, 0xA0, 0xBF};
  if (c == 0xED) return {3, 0x80, 0x9F};
  if (c < 0xF0) return {3, 0x80, 0xBF};
  if (c == 0xF0) return {4, 0x90, 0xBF};
  if (c < 0xF4) return {4, 0x80, 0xBF};
  if (c == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes starting at pos are a prefix of some well-formed sequence
// (0 when s[pos] cannot start one).
size_t valid_prefix_length(std::string_view s, size_t pos) {
  const auto c = static_cast<unsigned char>(s[pos]);
  const LeadInfo info = lead_info(c);
  if (info.length == 0) return 0;
  size_t n = 1;
  for (; n < static_cast<size_t>(info.length) && pos + n < s.size(); ++n) {
    const auto b = static_cast<unsigned char>(s[pos + n]);
    if (n == 1 ? (b < info.lo || b > info.hi) : !is_continuation(b)) break;
  }
  return n;
}

} // namespace

size_t sequence_length(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const int length = lead_info(static_cast<unsigned char>(s[pos])).length;
  if (length == 0) return 0;
  return valid_prefix_length(s, pos) == static_cast<size_t>(length) ? static_cast<size_t>(length) : 0;
}

std::optional<size_t> find_invalid(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t n = sequence_length(s, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

std::string replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = sequence_length(s, pos);
    if (n == 0) {
      out += kReplacement;
      ++pos;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

size_t complete_prefix(std::string_view s) {
  // Only the last three bytes can belong to an unfinished sequence.
  const size_t first = s.size() > 3 ? s.size() - 3 : 0;
  for (size_t pos = first; pos < s.size(); ++pos) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80 || is_continuation(c)) continue;
    const int length = lead_info(c).length;
    if (length == 0) continue;
    const size_t have = s.size() - pos;
    if (have < static_cast<size_t>(length) && valid_prefix_length(s, pos) == have) return pos;
  }
  return s.size();
}

std::string encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

} // namespace lathe::utf8
