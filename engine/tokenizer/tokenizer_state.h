// Internal: the tables a Tokenizer shares between its copies. Included only
// by engine/tokenizer/*.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace lathe {

// Token attributes as llama.cpp derives them from the token types, plus the
// promotions it applies by token text (see tokenizer_load.cpp).
enum TokenAttr : uint8_t {
  kAttrNormal = 1 << 0,
  kAttrUnknown = 1 << 1,
  kAttrControl = 1 << 2,
  kAttrUserDefined = 1 << 3,
  kAttrUnused = 1 << 4,
  kAttrByte = 1 << 5,
};

struct Tokenizer::State {
  // Built once in place and never moved: `lookup` holds views into `tokens`.
  std::vector<std::string> tokens; // id -> vocabulary text
  std::vector<TokenType> types;    // id -> file's token type
  std::vector<uint8_t> attrs;      // id -> TokenAttr bits
  std::vector<std::string> bytes;  // id -> decoded bytes (with control tokens rendered)
  TokenLookup lookup;              // vocabulary text -> id
  // Tokens cut out of the input before pre-tokenization, longest text first.
  std::vector<int32_t> special_by_length;
  std::optional<PreTokenizer> pre;
  BpeMerger bpe;
  int32_t bos = -1, eos = -1, eot = -1;
  bool add_bos = false, add_eos = false;
  std::vector<int32_t> eog_ids; // ascending
  std::vector<bool> is_eog;     // id -> end of generation
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kError;
};

} // namespace lathe
