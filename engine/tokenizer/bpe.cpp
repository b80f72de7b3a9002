#include "engine/tokenizer/bpe.h"

#include <algorithm>
#include <bit>

#include "engine/tokenizer/byte_unicode.h"

namespace lathe {
namespace {

// Heap order: the lowest rank is merged first, then the leftmost pair.
bool merges_later(const BpeMerger::Scratch::Candidate& a, const BpeMerger::Scratch::Candidate& b) {
  return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
}

} // namespace

constexpr uint64_t kEmptyKey = ~uint64_t{0}; // ids are below 2^31, so no pair packs to this

void BpeMerger::MergeTable::reserve(size_t n) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, n + n / 2));
  slots.assign(capacity, Slot{kEmptyKey, Merge{0, 0}});
  mask = capacity - 1;
  shift = 64 - std::countr_zero(capacity);
}

const BpeMerger::Merge* BpeMerger::MergeTable::find(uint64_t key) const {
  // Fibonacci hashing spreads the packed id pairs over the table.
  for (uint64_t i = (key * 0x9E3779B97F4A7C15ull) >> shift;; i = (i + 1) & mask) {
    if (slots[i].key == key) return &slots[i].merge;
    if (slots[i].key == kEmptyKey) return nullptr;
  }
}

bool BpeMerger::MergeTable::insert(uint64_t key, Merge value) {
  for (uint64_t i = (key * 0x9E3779B97F4A7C15ull) >> shift;; i = (i + 1) & mask) {
    if (slots[i].key == key) return false;
    if (slots[i].key == kEmptyKey) {
      slots[i] = Slot{key, value};
      return true;
    }
  }
}

int32_t BpeMerger::id_of(std::string_view text, const TokenLookup& lookup) {
  if (auto it = lookup.find(text); it != lookup.end()) return it->second;
  std::string key(text);
  if (auto it = extra_ids_.find(key); it != extra_ids_.end()) return it->second;
  const int32_t id = n_vocab_ + static_cast<int32_t>(extra_texts_.size());
  // llama.cpp emits such a symbol byte by byte, keeping the bytes (of the
  // alphabet text) that are vocabulary entries of their own.
  std::vector<int32_t> bytes;
  for (char c : text) {
    if (auto it = lookup.find(std::string_view(&c, 1)); it != lookup.end()) bytes.push_back(it->second);
  }
  extra_texts_.push_back(key);
  extra_bytes_.push_back(std::move(bytes));
  extra_ids_.emplace(std::move(key), id);
  return id;
}

BpeMerger::BpeMerger(std::span<const std::string_view> tokens, const TokenLookup& lookup,
                     std::span<const std::string_view> merges)
    : n_vocab_(static_cast<int32_t>(tokens.size())), n_merges_(static_cast<int32_t>(merges.size())) {
  for (int b = 0; b < 256; ++b) byte_ids_[b] = id_of(byte_unicode::text(static_cast<uint8_t>(b)), lookup);
  merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view m = merges[rank];
    // Split at the first space after the first byte, as llama.cpp does (a
    // part may itself be a lone space in non-byte-level vocabularies).
    const size_t space = m.find(' ', 1);
    if (space == std::string_view::npos) continue;
    const std::string_view left = m.substr(0, space);
    const std::string_view right = m.substr(space + 1);
    joined.assign(left);
    joined.append(right);
    const int32_t left_id = id_of(left, lookup);
    const int32_t right_id = id_of(right, lookup);
    const int32_t result = id_of(joined, lookup);
    merges_.insert(pair_key(left_id, right_id), Merge{static_cast<int32_t>(rank), result});
  }
}

void BpeMerger::push_candidate(Scratch& s, int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return;
  const int32_t left_id = s.symbols[left].id;
  const int32_t right_id = s.symbols[right].id;
  const Merge* m = merges_.find(pair_key(left_id, right_id));
  if (m == nullptr) return;
  s.heap.push_back({m->rank, left, right, left_id, right_id, m->result});
  std::push_heap(s.heap.begin(), s.heap.end(), merges_later);
}

void BpeMerger::emit(int32_t id, std::vector<int32_t>& out) const {
  if (id < n_vocab_) {
    out.push_back(id);
  } else {
    const auto& bytes = extra_bytes_[static_cast<size_t>(id - n_vocab_)];
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
}

void BpeMerger::encode_word(std::string_view word, std::vector<int32_t>& out, Scratch& s) const {
  const auto n = static_cast<int32_t>(word.size());
  if (n == 1) {
    emit(byte_ids_[static_cast<uint8_t>(word[0])], out);
    return;
  }
  s.symbols.resize(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    s.symbols[i] = {byte_ids_[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  s.heap.clear();
  for (int32_t i = 0; i + 1 < n; ++i) push_candidate(s, i, i + 1);

  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), merges_later);
    const Scratch::Candidate c = s.heap.back();
    s.heap.pop_back();
    Scratch::Symbol& left = s.symbols[c.left];
    // Stale when either side has merged since the candidate was pushed: a
    // merged symbol has a different (longer) id, a consumed one has id -1.
    if (left.id != c.left_id || left.next != c.right || s.symbols[c.right].id != c.right_id) continue;
    Scratch::Symbol& right = s.symbols[c.right];
    left.id = c.result;
    left.next = right.next;
    right.id = -1;
    if (right.next >= 0) s.symbols[right.next].prev = c.left;
    push_candidate(s, left.prev, c.left);
    push_candidate(s, c.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = s.symbols[i].next) emit(s.symbols[i].id, out);
}

} // namespace lathe
