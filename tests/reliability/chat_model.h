// The decoder tests' tiny random model (tests/runtime/tiny_model.h) with a
// byte-level vocabulary (256 byte tokens, then <|im_start|> and <|im_end|>,
// the end of generation) and a ChatML template, so that the tokenizer,
// generate() and the `lathe` binary accept it as they would a real model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"
#include "runtime/tiny_model.h"

namespace lathe::testing {

inline constexpr int32_t kImStart = 256;
inline constexpr int32_t kImEnd = 257;
inline constexpr int64_t kChatVocab = 258;

// One layer, a vocabulary of kChatVocab, a context of `context` tokens.
TinyModel make_chat_model(int64_t context = 32);

// The model's writer (tensors in `skip` left out) with the tokenizer added.
gguf::testing::GgufWriter chat_model_writer(const TinyModel& model,
                                            const std::vector<std::string>& skip = {});

} // namespace lathe::testing
