// Pre-tokenizers: the regular expressions that cut text into words before BPE
// runs on each word, chosen by the GGUF key tokenizer.ggml.pre.
//
// The expressions are the ones the models were trained with (their
// tokenizer.json), in the spelling llama.cpp uses, and run with PCRE2 in UTF
// and Unicode-property mode (JIT-compiled where the platform allows). Several
// expressions are applied in turn, each one splitting the pieces the previous
// one produced; text that an expression does not match stays a piece of its
// own (HF tokenizers' "isolated" split behaviour).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lathe {

class PreTokenizer {
 public:
  // Throws TokenizerError naming `name` and listing the known names.
  static PreTokenizer create(std::string_view name);
  // Canonical names and aliases, for error messages and --help.
  static std::vector<std::string_view> known_names();

  const std::string& name() const;
  // Llama 3: a word that is already a vocabulary entry is emitted whole,
  // without running the merges.
  bool ignore_merges() const;
  // Whether a BOS token is added when the file has no add_bos_token key.
  bool default_add_bos() const;

  // Appends the pre-tokens of `text` (views into it, in order, covering it
  // exactly) to `out`. PRECONDITION: text is well-formed UTF-8.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  struct Impl;
  explicit PreTokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

} // namespace lathe
