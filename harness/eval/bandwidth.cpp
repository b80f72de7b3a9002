#include "harness/eval/bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

namespace lathe::harness {
namespace {

// XORs 64-bit words into eight accumulators: integer work far below what the
// memory delivers, which the compiler vectorizes. Returns the XOR so the
// reads cannot be optimised away.
uint64_t xor_words(const uint64_t* p, int64_t n_words) {
  uint64_t acc[8] = {};
  for (int64_t i = 0; i + 8 <= n_words; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] ^= p[i + j];
  }
  uint64_t r = 0;
  for (uint64_t a : acc) r ^= a;
  return r;
}

int64_t view_bytes(const WeightView& w) { return w.present() ? w.rows * w.row_bytes : 0; }

} // namespace

BandwidthCeiling measure_read_bandwidth(int threads, int64_t bytes, int passes) {
  BandwidthCeiling c;
  c.threads = std::max(1, threads);
  c.bytes = bytes;
  c.passes = passes;
  void* mem = ::mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  std::memset(mem, 1, static_cast<size_t>(bytes)); // back every page before timing
  const auto* words = static_cast<const uint64_t*>(mem);
  const int64_t n_words = bytes / 8;
  const int64_t per_thread = (n_words / c.threads) & ~int64_t{7};
  std::vector<uint64_t> sinks(static_cast<size_t>(c.threads) * 8); // one cache line each

  for (int pass = 0; pass < passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < c.threads; ++t) {
      pool.emplace_back([&, t] { sinks[static_cast<size_t>(t) * 8] = xor_words(words + t * per_thread, per_thread); });
    }
    sinks[0] = xor_words(words, per_thread);
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gbs = static_cast<double>(per_thread * 8 * c.threads) / s / 1e9;
    c.gb_per_s = std::max(c.gb_per_s, gbs);
  }
  volatile uint64_t keep = 0;
  for (uint64_t s : sinks) keep = keep ^ s;
  (void)keep;
  ::munmap(mem, static_cast<size_t>(bytes));
  return c;
}

int64_t weight_bytes_per_token(const ModelWeights& w) {
  int64_t total = view_bytes(w.output_norm) + view_bytes(w.output);
  if (w.token_embd.data != w.output.data) total += w.token_embd.row_bytes;
  for (const LayerWeights& l : w.layers) {
    for (const WeightView* v : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.bq, &l.bk, &l.bv, &l.wo, &l.ffn_norm,
                                &l.w_gate, &l.w_up, &l.w_down}) {
      total += view_bytes(*v);
    }
  }
  return total;
}

} // namespace lathe::harness
