// libFuzzer target for the tokenizer. Each input is used twice:
//   - as text: encoded with and without special-token parsing, with BOS/EOS
//     or not, by a tokenizer that rejects invalid UTF-8 and by one that
//     replaces it; then decoded again, in one go and streaming;
//   - as token ids (little-endian int32, any value, so mostly out of range):
//     decoded in one go and through a StreamDecoder.
// Never a crash, a hang or an exception other than the documented ones
// (TokenizerError for invalid UTF-8, std::out_of_range for a bad id), and
// the documented promises hold: decode(encode(x)) == x for valid UTF-8 (made
// of bytes the vocabulary has), every
// streamed piece is valid UTF-8, and the stream of ids whose decode() is valid
// UTF-8 concatenates to exactly decode().
//
// The vocabularies are the default models' (smollm2 and qwen2.5, from
// $LATHE_MODELS_DIR or the checkout's models/), loaded once; the first input
// byte picks one. Without the models a small hand-built vocabulary stands in,
// with a warning.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace {

using lathe::InvalidUtf8;
using lathe::StreamDecoder;
using lathe::Tokenizer;
using lathe::TokenizerOptions;
using lathe::TokenType;

// One vocabulary, built twice: strict and replacing invalid UTF-8.
struct Pair {
  std::optional<Tokenizer> strict, replacing;
  // Bytes whose alphabet symbol is not in the vocabulary: encode() drops them
  // (as llama.cpp does), so texts holding them do not round-trip. SmolLM2
  // lacks 04 06 13 14 16 1d and bytes that never occur in UTF-8.
  std::array<bool, 256> dropped{};
};

std::vector<Pair>& tokenizers() {
  static std::vector<Pair> all;
  return all;
}

lathe::TokenizerVocab small_vocab() {
  lathe::TokenizerVocab v;
  v.pre = "smollm";
  for (int b = 0; b < 256; ++b) v.tokens.emplace_back(lathe::byte_unicode::text(static_cast<uint8_t>(b)));
  v.types.assign(256, TokenType::kNormal);
  const auto add = [&](const char* text, TokenType type) {
    v.tokens.emplace_back(text);
    v.types.push_back(type);
  };
  add("he", TokenType::kNormal);
  add("ll", TokenType::kNormal);
  add("hell", TokenType::kNormal);
  add("\xC4\xA0w", TokenType::kNormal);
  add("<|im_start|>", TokenType::kControl);
  add("<|im_end|>", TokenType::kControl);
  add("<tool>", TokenType::kUserDefined);
  add("[UNUSED]", TokenType::kUnused);
  v.merges = {"h e", "l l", "he ll", "\xC4\xA0 w"};
  v.bos_id = 260;
  v.eos_id = 261;
  return v;
}

void add_pair(const auto& make) {
  TokenizerOptions strict, replacing;
  replacing.invalid_utf8 = InvalidUtf8::kReplace;
  Pair pair{make(strict), make(replacing), {}};
  std::set<std::string_view> pieces;
  for (int32_t id = 0; id < pair.strict->vocab_size(); ++id) pieces.insert(pair.strict->piece(id));
  for (int b = 0; b < 256; ++b)
    pair.dropped[b] = !pieces.contains(lathe::byte_unicode::text(static_cast<uint8_t>(b)));
  tokenizers().push_back(std::move(pair));
}

void load_tokenizers() {
  std::filesystem::path dir = LATHE_DEFAULT_MODELS_DIR;
  if (const char* env = std::getenv("LATHE_MODELS_DIR"); env && *env) dir = env;
  for (const char* name : {"smollm2-135m-instruct-q4_1.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"}) {
    const std::filesystem::path path = dir / name;
    if (!std::filesystem::exists(path)) {
      std::fprintf(stderr, "tokenizer_fuzz: %s is missing (scripts/fetch-models); skipping its vocabulary\n",
                   path.c_str());
      continue;
    }
    const auto file = lathe::gguf::GgufFile::open(path);
    add_pair([&](const TokenizerOptions& o) { return Tokenizer::from_gguf(file, o); });
  }
  if (tokenizers().empty()) {
    std::fprintf(stderr, "tokenizer_fuzz: no model vocabulary found; fuzzing a small hand-built one\n");
    add_pair([](const TokenizerOptions& o) { return Tokenizer::from_vocab(small_vocab(), o); });
  }
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tokenizer_fuzz: %s\n", what);
  std::abort();
}

bool valid_utf8(std::string_view s) { return !lathe::utf8::find_invalid(s).has_value(); }

bool round_trips(const Pair& pair, std::string_view s) {
  for (char c : s) {
    if (pair.dropped[static_cast<uint8_t>(c)]) return false;
  }
  return true;
}

// Streams `ids` and checks each piece and the whole.
void stream(const Tokenizer& tok, const std::vector<int32_t>& ids, bool render_special) {
  StreamDecoder decoder(tok, render_special);
  std::string streamed;
  bool in_range = true;
  for (int32_t id : ids) {
    std::string piece;
    try {
      piece = decoder.push(id);
    } catch (const std::out_of_range&) {
      if (id >= 0 && id < tok.vocab_size()) fail("push() rejected an id inside the vocabulary");
      in_range = false;
      continue;
    }
    if (!valid_utf8(piece)) fail("push() returned invalid UTF-8");
    streamed += piece;
  }
  const std::string rest = decoder.flush();
  if (!valid_utf8(rest)) fail("flush() returned invalid UTF-8");
  streamed += rest;
  if (!in_range) return;
  const std::string whole = tok.decode(ids, render_special);
  if (valid_utf8(whole) && streamed != whole) fail("streamed text differs from decode() of valid UTF-8");
}

void fuzz_text(const Pair& pair, std::string_view text, uint8_t flags) {
  const bool parse_special = flags & 1;
  const bool add_bos_eos = flags & 2;
  const bool render_special = !(flags & 4);
  std::vector<int32_t> ids;
  bool strict_ok = true;
  try {
    ids = pair.strict->encode(text, parse_special, add_bos_eos);
  } catch (const lathe::TokenizerError&) {
    if (valid_utf8(text)) fail("encode() rejected valid UTF-8");
    strict_ok = false;
  }
  if (strict_ok) {
    for (int32_t id : ids) {
      if (id < 0 || id >= pair.strict->vocab_size()) fail("encode() returned an id outside the vocabulary");
    }
    if (!add_bos_eos && round_trips(pair, text) && pair.strict->decode(ids) != text)
      fail("decode(encode(x)) != x");
    stream(*pair.strict, ids, render_special);
  }
  // Replacement never throws.
  ids = pair.replacing->encode(text, parse_special, add_bos_eos);
  const std::string replaced = lathe::utf8::replace_invalid(text);
  if (!add_bos_eos && round_trips(pair, replaced) && pair.replacing->decode(ids) != replaced) {
    fail("decode(encode(x)) is not x with invalid bytes replaced");
  }
  stream(*pair.replacing, ids, render_special);
}

void fuzz_ids(const Tokenizer& tok, const uint8_t* data, size_t size, bool render_special) {
  std::vector<int32_t> ids(size / 4);
  if (!ids.empty()) std::memcpy(ids.data(), data, ids.size() * 4);
  // Most raw values are far outside the vocabulary: fold half of them into it.
  for (size_t i = 0; i < ids.size(); i += 2) {
    ids[i] =
        static_cast<int32_t>(static_cast<uint32_t>(ids[i]) % static_cast<uint32_t>(tok.vocab_size() + 2)) - 1;
  }
  try {
    const std::string all = tok.decode(ids, render_special);
    (void)all;
  } catch (const std::out_of_range&) {
  }
  for (int32_t id : ids) {
    try {
      (void)tok.token_bytes(id, render_special);
      (void)tok.piece(id);
      (void)tok.type(id);
    } catch (const std::out_of_range&) {
      if (id >= 0 && id < tok.vocab_size()) fail("an id inside the vocabulary was rejected");
    }
    (void)tok.is_end_of_generation(id);
  }
  stream(tok, ids, render_special);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  load_tokenizers();
  return 0;
}

// Input: one flags byte (bit 0 parse_special, bit 1 add BOS/EOS, bit 2 do not
// render special tokens, bits 4-7 the vocabulary), then the text.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const Pair& pair = tokenizers()[static_cast<size_t>(flags >> 4) % tokenizers().size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  fuzz_text(pair, text, flags);
  fuzz_ids(*pair.strict, data + 1, size - 1, !(flags & 4));
  return 0;
}
