// Building a Tokenizer: reading the GGUF keys, deriving token attributes the
// way llama.cpp does (so that special-token parsing and end-of-generation
// tests agree with it), and precomputing the decode table.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/tokenizer_state.h"

namespace lathe {
namespace {

// Token texts llama.cpp treats as ending a turn whatever their type; such a
// token is also made a control token (so "</s>", a normal token of Qwen2.5's
// vocabulary, is parsed as one token when special parsing is on).
// clang-format off
constexpr std::array<std::string_view, 22> kEndOfGenerationTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
};
// clang-format on
// The end-of-turn token when the file does not name one (the first present).
constexpr std::array<std::string_view, 11> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",      "<|end_of_text|>",
    "<EOT>",      "_<EOT>",     "[EOT]",   "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
// Fill-in-the-middle tokens, found by text when the file does not name them;
// llama.cpp makes them control tokens and ends generation on pad/repo/sep.
constexpr std::array<std::string_view, 8> kFimPreTexts = {"<|fim_prefix|>",  "<fim-prefix>", "<fim_prefix>",
                                                          "<｜fim▁begin｜>", "<PRE>",        "▁<PRE>",
                                                          "<|code_prefix|>", "<|prefix|>"};
constexpr std::array<std::string_view, 8> kFimSufTexts = {"<|fim_suffix|>",  "<fim-suffix>", "<fim_suffix>",
                                                          "<｜fim▁hole｜>",  "<SUF>",        "▁<SUF>",
                                                          "<|code_suffix|>", "<|suffix|>"};
constexpr std::array<std::string_view, 8> kFimMidTexts = {"<|fim_middle|>",  "<fim-middle>", "<fim_middle>",
                                                          "<｜fim▁end｜>",   "<MID>",        "▁<MID>",
                                                          "<|code_middle|>", "<|middle|>"};
constexpr std::array<std::string_view, 5> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                                          "[PAD]"};
constexpr std::array<std::string_view, 5> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                                          "<REPO>", "<reponame>"};
constexpr std::array<std::string_view, 1> kFimSepTexts = {"<|file_sep|>"};

uint8_t attr_of(TokenType type) {
  switch (type) {
    case TokenType::kNormal:
      return kAttrNormal;
    case TokenType::kUnknown:
      return kAttrUnknown;
    case TokenType::kControl:
      return kAttrControl;
    case TokenType::kUserDefined:
      return kAttrUserDefined;
    case TokenType::kUnused:
      return kAttrUnused;
    case TokenType::kByte:
      return kAttrByte;
    default:
      return 0;
  }
}

// The id of the first of `texts` present in the vocabulary, or -1. llama.cpp
// takes the first it meets in hash-table order, which is unspecified (it
// picks <|im_end|> for Qwen2.5 but <|endoftext|> for SmolLM2); list order
// prefers the end-of-turn token. Either way both end generation.
template <size_t N>
int32_t find_by_text(const TokenLookup& lookup, const std::array<std::string_view, N>& texts) {
  for (std::string_view t : texts) {
    if (auto it = lookup.find(t); it != lookup.end()) return it->second;
  }
  return -1;
}

std::string bytes_of(const Tokenizer::State& s, int32_t id) {
  const std::string& text = s.tokens[id];
  const uint8_t attr = s.attrs[id];
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  std::string out;
  if (attr & kAttrNormal) {
    byte_unicode::decode(text, out);
  } else if (attr & kAttrByte) {
    // "<0x0A>" style byte tokens; anything else is read as alphabet text.
    unsigned value = 0;
    if (text.size() == 6 && text.starts_with("<0x") && text.back() == '>' &&
        std::sscanf(text.c_str() + 3, "%2x", &value) == 1) {
      out += static_cast<char>(value);
    } else {
      byte_unicode::decode(text, out);
    }
  }
  return out; // unused and undefined tokens render as nothing
}

int32_t checked_id(int64_t id, size_t n_tokens, std::string_view what) {
  if (id < 0) return -1;
  if (static_cast<uint64_t>(id) >= n_tokens) {
    throw TokenizerError(
        fmt::format("tokenizer.ggml.{} = {} is outside the vocabulary of {} tokens", what, id, n_tokens));
  }
  return static_cast<int32_t>(id);
}

} // namespace

Tokenizer Tokenizer::from_vocab(TokenizerVocab v, const TokenizerOptions& options) {
  if (v.model != "gpt2") {
    throw TokenizerError(
        fmt::format("tokenizer model '{}' is not supported: Lathe implements byte-level BPE "
                    "(tokenizer.ggml.model = \"gpt2\") only",
                    v.model));
  }
  const std::string pre_name =
      options.pre_tokenizer_override.empty() ? v.pre : options.pre_tokenizer_override;
  if (pre_name.empty()) {
    throw TokenizerError(
        fmt::format("the file declares no pre-tokenizer (tokenizer.ggml.pre); name one with the "
                    "pre-tokenizer override (known: {})",
                    fmt::join(PreTokenizer::known_names(), ", ")));
  }
  const size_t n = v.tokens.size();
  if (n == 0) throw TokenizerError("the vocabulary (tokenizer.ggml.tokens) is empty");
  if (n > static_cast<size_t>(INT32_MAX)) throw TokenizerError("the vocabulary is too large");
  if (!v.types.empty() && v.types.size() < n) {
    throw TokenizerError(
        fmt::format("tokenizer.ggml.token_type has {} entries for {} tokens", v.types.size(), n));
  }

  auto s = std::make_shared<State>();
  s->invalid_utf8 = options.invalid_utf8;
  try {
    s->pre = PreTokenizer::create(pre_name);
  } catch (const TokenizerError& e) {
    throw TokenizerError(
        fmt::format("{}{}", e.what(),
                    options.pre_tokenizer_override.empty()
                        ? "; the file's tokenizer.ggml.pre is not one Lathe implements (an expert "
                          "may force one with the pre-tokenizer override)"
                        : ""));
  }

  s->tokens = std::move(v.tokens);
  s->types.resize(n, TokenType::kNormal);
  if (!v.types.empty()) std::copy_n(v.types.begin(), n, s->types.begin());
  s->attrs.resize(n);
  s->lookup.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    // As llama.cpp: an empty text would match everywhere, so it gets a name.
    if (s->tokens[id].empty()) s->tokens[id] = fmt::format("[EMPTY_{}]", id);
    s->attrs[id] = attr_of(s->types[id]);
  }
  for (size_t id = 0; id < n; ++id) {
    if (!s->lookup.emplace(s->tokens[id], static_cast<int32_t>(id)).second) {
      throw TokenizerError(fmt::format("vocabulary entries {} and {} have the same text '{}'",
                                       s->lookup.at(s->tokens[id]), id, s->tokens[id]));
    }
  }

  s->bos = checked_id(v.bos_id, n, "bos_token_id");
  s->eos = checked_id(v.eos_id, n, "eos_token_id");
  s->eot = checked_id(v.eot_id, n, "eot_token_id");
  int32_t eom = checked_id(v.eom_id, n, "eom_token_id");
  checked_id(v.unk_id, n, "unknown_token_id");
  checked_id(v.pad_id, n, "padding_token_id");
  int32_t fim_pad = checked_id(v.fim_pad_id, n, "fim_pad_token_id");
  int32_t fim_rep = checked_id(v.fim_rep_id, n, "fim_rep_token_id");
  int32_t fim_sep = checked_id(v.fim_sep_id, n, "fim_sep_token_id");

  const auto promote = [&](int32_t id) {
    if (id >= 0) s->attrs[id] |= kAttrControl;
  };
  if (s->eot < 0) promote(s->eot = find_by_text(s->lookup, kEotTexts));
  if (eom < 0) promote(eom = find_by_text(s->lookup, std::array<std::string_view, 1>{"<|eom_id|>"}));
  promote(find_by_text(s->lookup, kFimPreTexts));
  promote(find_by_text(s->lookup, kFimSufTexts));
  promote(find_by_text(s->lookup, kFimMidTexts));
  if (fim_pad < 0) promote(fim_pad = find_by_text(s->lookup, kFimPadTexts));
  if (fim_rep < 0) promote(fim_rep = find_by_text(s->lookup, kFimRepTexts));
  if (fim_sep < 0) promote(fim_sep = find_by_text(s->lookup, kFimSepTexts));

  s->is_eog.assign(n, false);
  for (int32_t id : {fim_pad, fim_rep, fim_sep, s->eos, s->eot, eom}) {
    if (id >= 0) s->is_eog[id] = true;
  }
  for (std::string_view text : kEndOfGenerationTexts) {
    if (auto it = s->lookup.find(text); it != s->lookup.end()) {
      s->is_eog[it->second] = true;
      promote(it->second);
    }
  }
  for (size_t id = 0; id < n; ++id) {
    if (s->is_eog[id]) s->eog_ids.push_back(static_cast<int32_t>(id));
  }

  for (size_t id = 0; id < n; ++id) {
    if (s->attrs[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      s->special_by_length.push_back(static_cast<int32_t>(id));
    }
  }
  std::stable_sort(s->special_by_length.begin(), s->special_by_length.end(),
                   [&](int32_t a, int32_t b) { return s->tokens[a].size() > s->tokens[b].size(); });

  s->bytes.resize(n);
  for (size_t id = 0; id < n; ++id) s->bytes[id] = bytes_of(*s, static_cast<int32_t>(id));

  s->add_bos = v.add_bos >= 0 ? v.add_bos != 0 : s->pre->default_add_bos();
  s->add_eos = v.add_eos > 0;
  if (s->add_bos && s->bos < 0) throw TokenizerError("the file asks for a BOS token but names none");
  if (s->add_eos && s->eos < 0) throw TokenizerError("the file asks for an EOS token but names none");

  std::vector<std::string_view> token_views(s->tokens.begin(), s->tokens.end());
  std::vector<std::string_view> merge_views(v.merges.begin(), v.merges.end());
  s->bpe = BpeMerger(token_views, s->lookup, merge_views);
  return Tokenizer(std::move(s));
}

Tokenizer Tokenizer::from_gguf(const gguf::GgufFile& file, const TokenizerOptions& options) {
  const std::string where = file.path().string();
  try {
    TokenizerVocab v;
    if (!file.has("tokenizer.ggml.model")) throw TokenizerError("tokenizer.ggml.model is missing");
    v.model = file.get<std::string>("tokenizer.ggml.model");
    v.pre = file.get_or<std::string>("tokenizer.ggml.pre", "");
    for (std::string_view key : {"tokenizer.ggml.tokens", "tokenizer.ggml.merges"}) {
      if (v.model == "gpt2" && !file.has(key)) throw TokenizerError(fmt::format("{} is missing", key));
    }
    if (v.model == "gpt2") {
      for (std::string_view t : file.get_array<std::string_view>("tokenizer.ggml.tokens"))
        v.tokens.emplace_back(t);
      for (std::string_view m : file.get_array<std::string_view>("tokenizer.ggml.merges"))
        v.merges.emplace_back(m);
      if (file.has("tokenizer.ggml.token_type")) {
        for (int32_t t : file.get_array<int32_t>("tokenizer.ggml.token_type"))
          v.types.push_back(TokenType{t});
      }
    }
    const auto id = [&](const char* key) { return static_cast<int32_t>(file.get_or<int64_t>(key, -1)); };
    v.bos_id = id("tokenizer.ggml.bos_token_id");
    v.eos_id = id("tokenizer.ggml.eos_token_id");
    v.eot_id = id("tokenizer.ggml.eot_token_id");
    v.eom_id = id("tokenizer.ggml.eom_token_id");
    v.unk_id = id("tokenizer.ggml.unknown_token_id");
    v.pad_id = id("tokenizer.ggml.padding_token_id");
    v.fim_pad_id = id("tokenizer.ggml.fim_pad_token_id");
    v.fim_rep_id = id("tokenizer.ggml.fim_rep_token_id");
    v.fim_sep_id = id("tokenizer.ggml.fim_sep_token_id");
    if (file.has("tokenizer.ggml.add_bos_token")) v.add_bos = file.get<bool>("tokenizer.ggml.add_bos_token");
    if (file.has("tokenizer.ggml.add_eos_token")) v.add_eos = file.get<bool>("tokenizer.ggml.add_eos_token");
    return from_vocab(std::move(v), options);
  } catch (const TokenizerError& e) {
    // gguf::GgufError already names the file; these do not.
    throw TokenizerError(fmt::format("{}: {}", where, e.what()));
  }
}

} // namespace lathe
