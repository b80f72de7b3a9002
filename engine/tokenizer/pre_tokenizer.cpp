#include "engine/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>

#include <array>

#include "engine/tokenizer/tokenizer_error.h"

namespace lathe {
namespace {

// GPT-2's expression, also the word splitter of SmolLM2 and StarCoder.
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Qwen2 and Llama 3 differ only in how many digits make one word. Their
// tokenizer.json writes the contractions as (?i:'s|'t|...); llama.cpp, the
// reference we are checked against, spells them out in ASCII, which differs
// from PCRE2's caseless mode only in that the latter also folds U+017F (long s).
constexpr std::string_view kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))"
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))"
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// SmolLM2 / StarCoder: HF's Digits(individual_digits) before the byte-level split.
constexpr std::string_view kEachDigit = R"(\p{N})";

struct Spec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  std::vector<std::string_view> patterns;
  bool ignore_merges = false;
  bool add_bos = false;
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table = {
      {"qwen2", {"deepseek-r1-qwen"}, {kQwen2}},
      {"smollm", {"starcoder"}, {kEachDigit, kGpt2}},
      {"llama-bpe", {"llama3", "llama-v3"}, {kLlama3}, /*ignore_merges=*/true, /*add_bos=*/true},
      {"gpt-2", {"gpt2"}, {kGpt2}},
      // llama.cpp's fallback for files without a pre-tokenizer name.
      {"default",
       {},
       {R"([\p{P}\$\+<=>\^~\|]+)",
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))", R"(\p{N}+)",
        R"([0-9][0-9][0-9])"}},
  };
  return table;
}

// HF tokenizers (Oniguruma) and llama.cpp read \s as Unicode White_Space.
// PCRE2's \s in UCP mode also matches U+180E, so it is spelled out.
std::string translate_whitespace_class(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[i + 1];
      if (next == 's') {
        out += R"(\p{White_Space})";
      } else if (next == 'S') {
        out += R"(\P{White_Space})";
      } else {
        out += pattern.substr(i, 2);
      }
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};

struct Pattern {
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  bool jit = false;
};

Pattern compile(std::string_view source) {
  const std::string translated = translate_whitespace_class(source);
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (code == nullptr) {
    std::array<PCRE2_UCHAR, 256> message{};
    pcre2_get_error_message(error, message.data(), message.size());
    throw TokenizerError(fmt::format("pre-tokenizer expression /{}/ does not compile at offset {}: {}",
                                     translated, error_offset,
                                     reinterpret_cast<const char*>(message.data())));
  }
  Pattern p;
  p.code.reset(code);
  p.jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0; // without JIT the interpreter is used
  return p;
}

} // namespace

struct PreTokenizer::Impl {
  std::string name;
  bool ignore_merges = false;
  bool add_bos = false;
  std::vector<Pattern> patterns;

  // Splits one piece by one pattern; appends matches and the gaps between them.
  void split_one(const Pattern& p, pcre2_match_data* md, std::string_view text,
                 std::vector<std::string_view>& out) const {
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t start = 0;
    while (start < text.size()) {
      int rc = p.jit ? pcre2_jit_match(p.code.get(), subject, text.size(), start, 0, md, nullptr)
                     : PCRE2_ERROR_JIT_BADOPTION;
      if (!p.jit || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        // The interpreter keeps its backtracking frames on the heap.
        rc = pcre2_match(p.code.get(), subject, text.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md,
                         nullptr);
      }
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        std::array<PCRE2_UCHAR, 256> message{};
        pcre2_get_error_message(rc, message.data(), message.size());
        throw TokenizerError(fmt::format("pre-tokenizer '{}': matching failed: {}", name,
                                         reinterpret_cast<const char*>(message.data())));
      }
      const size_t begin = ov[0];
      size_t end = ov[1];
      if (begin > start) out.push_back(text.substr(start, begin - start));
      if (end == begin) {
        // None of the expressions can match empty; guard against a loop anyway.
        end = begin + 1;
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      }
      out.push_back(text.substr(begin, end - begin));
      start = end;
    }
    if (start < text.size()) out.push_back(text.substr(start));
  }
};

PreTokenizer PreTokenizer::create(std::string_view name) {
  for (const Spec& spec : specs()) {
    bool match = spec.name == name;
    for (std::string_view alias : spec.aliases) match = match || alias == name;
    if (!match) continue;
    auto impl = std::make_shared<Impl>();
    impl->name = std::string(spec.name);
    impl->ignore_merges = spec.ignore_merges;
    impl->add_bos = spec.add_bos;
    for (std::string_view source : spec.patterns) impl->patterns.push_back(compile(source));
    return PreTokenizer(std::move(impl));
  }
  throw TokenizerError(
      fmt::format("unknown pre-tokenizer '{}' (known: {})", name, fmt::join(known_names(), ", ")));
}

std::vector<std::string_view> PreTokenizer::known_names() {
  std::vector<std::string_view> names;
  for (const Spec& spec : specs()) {
    names.push_back(spec.name);
    names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
  }
  return names;
}

const std::string& PreTokenizer::name() const { return impl_->name; }
bool PreTokenizer::ignore_merges() const { return impl_->ignore_merges; }
bool PreTokenizer::default_add_bos() const { return impl_->add_bos; }

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
  if (text.empty()) return;
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(pcre2_match_data_create(1, nullptr));
  if (!md) throw std::bad_alloc();
  const auto& patterns = impl_->patterns;
  if (patterns.size() == 1) {
    impl_->split_one(patterns[0], md.get(), text, out);
    return;
  }
  // Each expression splits the pieces of the previous one; lookarounds see
  // only their own piece.
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::vector<std::string_view>& target = (i + 1 == patterns.size()) ? out : next;
    for (std::string_view piece : current) impl_->split_one(patterns[i], md.get(), piece, target);
    if (&target == &next) {
      current.swap(next);
      next.clear();
    }
  }
}

} // namespace lathe
