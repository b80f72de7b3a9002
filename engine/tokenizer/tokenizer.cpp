// Encoding and decoding. See tokenizer.h for the three stages of encode().
#include "engine/tokenizer/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/tokenizer_state.h"
#include "engine/tokenizer/utf8.h"

namespace lathe {
namespace {

// A stretch of the input: raw text still to be tokenized, or a special token.
struct Fragment {
  int32_t token; // -1 for raw text
  size_t begin, end;
};

// Cuts the occurrences of one special token out of the raw fragments,
// leftmost first, as llama.cpp does token by token (longest tokens first).
void cut_special(std::string_view text, std::string_view special, int32_t id,
                 std::vector<Fragment>& fragments, std::vector<Fragment>& scratch) {
  scratch.clear();
  bool found = false;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      scratch.push_back(f);
      continue;
    }
    size_t pos = f.begin;
    const std::string_view window = text.substr(0, f.end);
    for (size_t hit; (hit = window.find(special, pos)) != std::string_view::npos;
         pos = hit + special.size()) {
      found = true;
      if (hit > pos) scratch.push_back({-1, pos, hit});
      scratch.push_back({id, hit, hit + special.size()});
    }
    if (pos < f.end) scratch.push_back({-1, pos, f.end});
  }
  if (found) fragments.swap(scratch);
}

[[noreturn]] void throw_out_of_range(int32_t id, size_t n) {
  throw std::out_of_range(fmt::format("token id {} is outside the vocabulary (0..{})", id, n - 1));
}

} // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view input, bool parse_special, bool add_bos_eos) const {
  const State& s = *state_;
  std::string replaced;
  std::string_view text = input;
  if (const auto bad = utf8::find_invalid(input)) {
    if (s.invalid_utf8 == InvalidUtf8::kError) {
      throw TokenizerError(
          fmt::format("text is not valid UTF-8: byte 0x{:02X} at offset {} does not start a "
                      "well-formed character (ask for replacement with U+FFFD: InvalidUtf8::kReplace, or "
                      "--replace-invalid-utf8)",
                      static_cast<unsigned char>(input[*bad]), *bad));
    }
    replaced = utf8::replace_invalid(input);
    text = replaced;
  }

  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos_eos && s.add_bos) out.push_back(s.bos);

  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({-1, 0, text.size()});
  std::vector<Fragment> scratch;
  for (int32_t id : s.special_by_length) {
    // Without special parsing only user-defined tokens are cut out.
    if (!parse_special && (s.attrs[id] & (kAttrControl | kAttrUnknown))) continue;
    cut_special(text, s.tokens[id], id, fragments, scratch);
  }

  std::vector<std::string_view> words;
  BpeMerger::Scratch bpe_scratch;
  std::string encoded;
  // Words repeat a lot in long texts: a word seen before in this call copies
  // the ids it produced then (where they sit in `out`) instead of merging again.
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> seen;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      continue;
    }
    words.clear();
    s.pre->split(text.substr(f.begin, f.end - f.begin), words);
    for (std::string_view word : words) {
      if (s.pre->ignore_merges()) {
        encoded = byte_unicode::encode(word);
        if (auto it = s.lookup.find(encoded); it != s.lookup.end()) {
          out.push_back(it->second);
          continue;
        }
      }
      if (word.size() == 1) {
        s.bpe.encode_word(word, out, bpe_scratch);
        continue;
      }
      if (auto it = seen.find(word); it != seen.end()) {
        const auto [offset, count] = it->second;
        const size_t end = out.size();
        out.resize(end + count);
        std::copy_n(out.begin() + static_cast<ptrdiff_t>(offset), count,
                    out.begin() + static_cast<ptrdiff_t>(end));
        continue;
      }
      const size_t offset = out.size();
      s.bpe.encode_word(word, out, bpe_scratch);
      seen.emplace(word, std::pair{offset, out.size() - offset});
    }
  }

  if (add_bos_eos && s.add_eos) out.push_back(s.eos);
  return out;
}

std::string_view Tokenizer::token_bytes(int32_t id, bool render_special) const {
  const State& s = *state_;
  if (id < 0 || static_cast<size_t>(id) >= s.tokens.size()) throw_out_of_range(id, s.tokens.size());
  if (!render_special && (s.attrs[id] & (kAttrControl | kAttrUnknown))) return {};
  return s.bytes[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  for (int32_t id : ids) out += token_bytes(id, render_special);
  return out;
}

std::string_view Tokenizer::piece(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw_out_of_range(id, state_->tokens.size());
  return state_->tokens[id];
}

TokenType Tokenizer::type(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw_out_of_range(id, state_->tokens.size());
  return state_->types[id];
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(state_->tokens.size()); }
int32_t Tokenizer::n_merges() const { return state_->bpe.n_merges(); }
int32_t Tokenizer::bos_id() const { return state_->bos; }
int32_t Tokenizer::eos_id() const { return state_->eos; }
int32_t Tokenizer::eot_id() const { return state_->eot; }
bool Tokenizer::add_bos() const { return state_->add_bos; }
bool Tokenizer::add_eos() const { return state_->add_eos; }
const std::string& Tokenizer::pre_tokenizer() const { return state_->pre->name(); }

bool Tokenizer::is_end_of_generation(int32_t id) const {
  return id >= 0 && id < vocab_size() && state_->is_eog[id];
}

std::span<const int32_t> Tokenizer::end_of_generation_ids() const { return state_->eog_ids; }

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool render_special)
    : tokenizer_(&tokenizer), render_special_(render_special) {}

std::string StreamDecoder::push(int32_t id) {
  pending_ += tokenizer_->token_bytes(id, render_special_);
  const size_t ready = utf8::complete_prefix(pending_);
  std::string out = utf8::replace_invalid(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8::replace_invalid(pending_);
  pending_.clear();
  return out;
}

} // namespace lathe
