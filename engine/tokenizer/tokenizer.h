// The tokenizer of a GGUF model: byte-level BPE (tokenizer.ggml.model =
// "gpt2") built from the file's metadata alone, checked token for token
// against llama.cpp on the default models (tests/tokenizer).
//
// encode() runs in three stages:
//   1. special tokens: their texts are cut out of the input first, longest
//      first (control tokens only when parse_special is on; user-defined
//      tokens such as Qwen's <tool_call> always, as llama.cpp and HF do);
//   2. the pre-tokenizer named by tokenizer.ggml.pre splits each remaining
//      stretch of text into words (engine/tokenizer/pre_tokenizer.h);
//   3. BPE merges each word (engine/tokenizer/bpe.h).
// decode() maps ids back to bytes; StreamDecoder does it one id at a time and
// only ever emits whole UTF-8 characters. Chat templates are declared in
// engine/tokenizer/chat_template.h, included here.
//
// A Tokenizer is immutable once built; copies share their tables, and every
// const member may be called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer_error.h"

namespace lathe {

enum class InvalidUtf8 {
  kError,   // encode() throws TokenizerError naming the byte offset
  kReplace, // each offending byte becomes U+FFFD (what llama.cpp does silently)
};

struct TokenizerOptions {
  std::string pre_tokenizer_override; // empty = from file (tokenizer.ggml.pre)
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kError;
};

// GGUF token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Everything the tokenizer is built from, as read from a GGUF file. Exposed
// so that tests can build small vocabularies by hand.
struct TokenizerVocab {
  std::string model = "gpt2";      // tokenizer.ggml.model
  std::string pre;                 // tokenizer.ggml.pre; empty when absent
  std::vector<std::string> tokens; // id -> vocabulary text
  std::vector<TokenType> types;    // id -> type; empty = all normal
  std::vector<std::string> merges; // "left right", in rank order
  int32_t bos_id = -1, eos_id = -1, eot_id = -1, eom_id = -1, unk_id = -1, pad_id = -1;
  int32_t fim_pad_id = -1, fim_rep_id = -1, fim_sep_id = -1;
  int add_bos = -1, add_eos = -1; // -1 = key absent (use the pre-tokenizer's default)
};

class Tokenizer {
 public:
  // Throws TokenizerError (a std::runtime_error) with a message naming the
  // file and the key or value at fault.
  static Tokenizer from_gguf(const gguf::GgufFile& file, const TokenizerOptions& options = {});
  static Tokenizer from_vocab(TokenizerVocab vocab, const TokenizerOptions& options = {});

  // Token ids of `text`. parse_special: control-token texts in the input
  // become their ids (otherwise they are ordinary text). add_bos_eos: add BOS
  // / EOS as the file's add_bos_token / add_eos_token flags say (for Qwen2.5
  // and SmolLM2 neither is added). Throws TokenizerError on invalid UTF-8
  // unless the options asked for replacement.
  std::vector<int32_t> encode(std::string_view text, bool parse_special, bool add_bos_eos = true) const;

  // The bytes of `ids` concatenated. Control tokens are rendered as their
  // text unless render_special is false; unused tokens render as nothing.
  // The result is what was encoded (decode(encode(x)) == x) but need not be
  // valid UTF-8 for arbitrary ids. Throws std::out_of_range for an id outside
  // [0, vocab_size()).
  std::string decode(std::span<const int32_t> ids, bool render_special = true) const;
  // The bytes of one token, as decode() renders it.
  std::string_view token_bytes(int32_t id, bool render_special = true) const;

  std::string_view piece(int32_t id) const; // raw vocabulary text ("Ġworld"); throws std::out_of_range
  TokenType type(int32_t id) const;         // throws std::out_of_range
  int32_t vocab_size() const;
  int32_t n_merges() const;
  int32_t bos_id() const; // -1 when absent
  int32_t eos_id() const; // -1 when absent
  int32_t eot_id() const; // end of turn (<|im_end|>, <|eot_id|>, ...); -1 when absent
  bool add_bos() const;
  bool add_eos() const;
  const std::string& pre_tokenizer() const; // canonical name
  // EOS, EOT, EOM, and the tokens llama.cpp treats as ending a turn by their
  // text (<|im_end|>, <|eot_id|>, <|endoftext|>, ..., the FIM pad / repo /
  // separator tokens). False for ids out of range.
  bool is_end_of_generation(int32_t id) const;
  std::span<const int32_t> end_of_generation_ids() const; // ascending

  // Internal tables (engine/tokenizer/tokenizer_state.h).
  struct State;

 private:
  explicit Tokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// Turns token ids into text as they are generated: push() returns the bytes
// that are ready to print, holding back the tail of a UTF-8 character whose
// remaining bytes have not been generated yet. Bytes that can never become
// valid UTF-8 are emitted as U+FFFD, so every returned string is valid UTF-8;
// for ids whose decode() is valid UTF-8, the pushes and the final flush()
// concatenate to exactly decode(ids). Keeps a reference to the tokenizer,
// which must outlive it.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = true);
  std::string push(int32_t id); // throws std::out_of_range for an id outside the vocabulary
  // Emits what is held back (an unfinished character becomes U+FFFD) and
  // resets the decoder.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  bool render_special_;
  std::string pending_;
};

} // namespace lathe
