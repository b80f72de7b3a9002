// Byte-level BPE over token ids.
//
// A word (one pre-token, raw bytes) starts as one symbol per byte, each the
// vocabulary entry of that byte's GPT-2 alphabet character. The adjacent pair
// with the lowest merge rank is merged first, ties going to the leftmost pair,
// until no adjacent pair has a merge; a binary heap of candidate pairs makes
// this O(n log n) in the word length (stale candidates are skipped when
// popped). This is the order llama.cpp and HF tokenizers use.
//
// Merges whose parts or result are not vocabulary entries still take part
// (they get ids past the vocabulary); a symbol that ends up outside the
// vocabulary is emitted as the single-byte entries of its text, as llama.cpp
// does, so the output matches it even for unusual vocabularies.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lathe {

using TokenLookup = std::unordered_map<std::string_view, int32_t>;

class BpeMerger {
 public:
  // Reusable buffers, so that encoding many words does not allocate.
  struct Scratch {
    struct Symbol {
      int32_t id;   // -1 once merged into its left neighbour
      int32_t prev; // -1 at the start of the word
      int32_t next; // -1 at the end
    };
    struct Candidate {
      int32_t rank, left, right, left_id, right_id, result;
    };
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  BpeMerger() = default;
  // tokens: id -> vocabulary text; lookup: the inverse; merges: "left right"
  // strings in rank order (rank = index; a repeated pair keeps its first rank).
  BpeMerger(std::span<const std::string_view> tokens, const TokenLookup& lookup,
            std::span<const std::string_view> merges);

  // Appends the ids of one word (raw bytes, non-empty) to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out, Scratch& scratch) const;

  int32_t n_merges() const { return n_merges_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  // Open addressing on the (left id, right id) pair packed in 64 bits; key
  // and value share a slot so that a lookup touches one cache line.
  struct MergeTable {
    struct Slot {
      uint64_t key;
      Merge merge;
    };
    std::vector<Slot> slots;
    uint64_t mask = 0;
    int shift = 64;
    void reserve(size_t n);
    const Merge* find(uint64_t key) const;
    bool insert(uint64_t key, Merge value); // false when the key is present
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  int32_t id_of(std::string_view text, const TokenLookup& lookup); // adds an extra id when absent
  void push_candidate(Scratch& scratch, int32_t left, int32_t right) const;
  void emit(int32_t id, std::vector<int32_t>& out) const;

  int32_t n_vocab_ = 0;
  int32_t n_merges_ = 0;
  int32_t byte_ids_[256] = {};           // initial symbol of each byte
  std::vector<std::string> extra_texts_; // ids n_vocab_, n_vocab_ + 1, ...
  std::unordered_map<std::string, int32_t> extra_ids_;
  std::vector<std::vector<int32_t>> extra_bytes_; // what an extra id is emitted as
  MergeTable merges_;
};

} // namespace lathe
