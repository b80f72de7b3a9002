// Adapters between the engine's parts and the generation loop's interfaces.
#pragma once

#include "engine/generate/generate.h"
#include "engine/runtime/session.h"
#include "engine/tokenizer/tokenizer.h"

namespace lathe {

// A Session as generate() sees it.
class SessionEvaluator final : public TokenEvaluator {
 public:
  explicit SessionEvaluator(Session& session) : session_(session) {}
  int64_t n_ctx() const override { return session_.n_ctx(); }
  int64_t n_past() const override { return session_.n_past(); }
  std::span<const float> eval(std::span<const int32_t> tokens) override { return session_.eval(tokens); }

 private:
  Session& session_;
};

// A Tokenizer as generate() sees it: streaming, UTF-8-safe detokenization.
class TokenizerText final : public TokenText {
 public:
  explicit TokenizerText(const Tokenizer& tokenizer) : tokenizer_(tokenizer), stream_(tokenizer) {}
  bool is_end_of_generation(int32_t id) const override { return tokenizer_.is_end_of_generation(id); }
  std::string push(int32_t id) override { return stream_.push(id); }
  std::string flush() override { return stream_.flush(); }

 private:
  const Tokenizer& tokenizer_;
  StreamDecoder stream_;
};

} // namespace lathe
