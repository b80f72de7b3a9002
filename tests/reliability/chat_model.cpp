#include "reliability/chat_model.h"

#include "engine/tokenizer/byte_unicode.h"

namespace lathe::testing {

using gguf::ValueType;
using gguf::testing::MetaValue;

TinyModel make_chat_model(int64_t context) {
  TinySpec spec;
  spec.n_layers = 1;
  spec.vocab = kChatVocab;
  spec.context = context;
  return make_tiny_model(spec);
}

gguf::testing::GgufWriter chat_model_writer(const TinyModel& model, const std::vector<std::string>& skip) {
  gguf::testing::GgufWriter w = model.writer(skip);
  std::vector<MetaValue> tokens, types;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(MetaValue::string(byte_unicode::text(static_cast<uint8_t>(b))));
  tokens.push_back(MetaValue::string("<|im_start|>"));
  tokens.push_back(MetaValue::string("<|im_end|>"));
  types.assign(tokens.size(), MetaValue::i32(1));      // normal
  types[kImStart] = types[kImEnd] = MetaValue::i32(3); // control
  w.meta("tokenizer.ggml.model", MetaValue::string("gpt2"));
  w.meta("tokenizer.ggml.pre", MetaValue::string("smollm"));
  w.meta("tokenizer.ggml.tokens", MetaValue::array(ValueType::STRING, tokens));
  w.meta("tokenizer.ggml.token_type", MetaValue::array(ValueType::INT32, types));
  w.meta("tokenizer.ggml.merges", MetaValue::array(ValueType::STRING, {}));
  w.meta("tokenizer.ggml.eos_token_id", MetaValue::u32(kImEnd));
  w.meta("tokenizer.chat_template",
         MetaValue::string("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + "
                           "'<|im_end|>' + '\\n'}}{% endfor %}"));
  return w;
}

} // namespace lathe::testing
