// Attention over a KV cache in each cache type (f32, f16, q8_0, q4_0), for
// the kernel table this build compiled in (and the scalar reference, f32
// only), all heads in one call, one thread:
// - decode (one query token) over 128 .. 4096 positions, the head layout of
//   qwen2.5-coder-0.5b (14 query heads on 2 KV heads of 64). Bytes processed
//   are the K and V rows read, in the cache's type (each once per KV head).
// - prefill: a chunk of 64 or 512 query tokens after pos0 = 0 .. 1536 cached
//   positions, the shapes of SmolLM2-135M (9 / 3 / 64) and Qwen2.5 0.5B
//   (14 / 2 / 64). Items are the useful multiply-adds' flops (2 per q.k and 2
//   per p v element over the causal keys), so items/s is FLOP/s. The
//   `per-query` rows run the decode kernel token by token (the AVX-512
//   kernel's path below its tiling threshold), for comparison.
//
//   build/bench/lathe_kernels_bench --benchmark_filter='^attention/' --benchmark_repetitions=5
//   build/bench/lathe_kernels_bench --benchmark_filter='^attention_prefill/'

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_bench_data.h"
#include "kernels/kernel_table.h"

namespace lathe::bench {
namespace {

void run_attention(benchmark::State& state, const kernels::KernelTable* table, kernels::KvType type) {
  const int64_t ctx = state.range(0);
  kernels::AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = ctx - 1;
  s.n_heads = 14;
  s.n_kv_heads = 2;
  s.head_dim = 64;
  s.scale = 1.0f / std::sqrt(64.0f);
  const int64_t kv_width = s.n_kv_heads * s.head_dim;
  const std::vector<float> q = random_floats(s.n_heads * s.head_dim, 1);
  const int64_t row_bytes = kernels::kv_row_bytes(type, kv_width);
  // (ctx, row_bytes) each: random rows stored in the cache's type
  std::vector<uint8_t> k(static_cast<size_t>(ctx * row_bytes));
  std::vector<uint8_t> v(static_cast<size_t>(ctx * row_bytes));
  const std::vector<float> k_rows = random_floats(ctx * kv_width, 2);
  const std::vector<float> v_rows = random_floats(ctx * kv_width, 3);
  for (int64_t p = 0; p < ctx; ++p) {
    table->kv_store(type)(k_rows.data() + p * kv_width, k.data() + p * row_bytes, kv_width);
    table->kv_store(type)(v_rows.data() + p * kv_width, v.data() + p * row_bytes, kv_width);
  }
  std::vector<float> out(q.size());
  std::vector<float> scores(static_cast<size_t>(ctx));
  const kernels::AttentionFn attention = table->attention_for(type);
  for (auto _ : state) {
    attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, s.n_heads);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * ctx * row_bytes);
  state.SetItemsProcessed(state.iterations() * ctx); // positions
}

struct PrefillCase {
  const char* name;
  int64_t n_heads, n_kv_heads, head_dim;
};

// range(0): query tokens; range(1): pos0. per_query: one call per token.
void run_prefill(benchmark::State& state, const kernels::KernelTable* table, kernels::KvType type, PrefillCase c,
                 bool per_query) {
  const int64_t n_tokens = state.range(0);
  const int64_t pos0 = state.range(1);
  kernels::AttentionShape s;
  s.n_tokens = n_tokens;
  s.pos0 = pos0;
  s.n_heads = c.n_heads;
  s.n_kv_heads = c.n_kv_heads;
  s.head_dim = c.head_dim;
  s.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  const int64_t positions = pos0 + n_tokens;
  const int64_t q_width = s.n_heads * s.head_dim;
  const int64_t kv_width = s.n_kv_heads * s.head_dim;
  const std::vector<float> q = random_floats(n_tokens * q_width, 1);
  const int64_t row_bytes = kernels::kv_row_bytes(type, kv_width);
  std::vector<uint8_t> k(static_cast<size_t>(positions * row_bytes));
  std::vector<uint8_t> v(static_cast<size_t>(positions * row_bytes));
  const std::vector<float> k_rows = random_floats(positions * kv_width, 2);
  const std::vector<float> v_rows = random_floats(positions * kv_width, 3);
  for (int64_t p = 0; p < positions; ++p) {
    table->kv_store(type)(k_rows.data() + p * kv_width, k.data() + p * row_bytes, kv_width);
    table->kv_store(type)(v_rows.data() + p * kv_width, v.data() + p * row_bytes, kv_width);
  }
  std::vector<float> out(q.size());
  std::vector<float> scores(static_cast<size_t>(table->attention_scratch_floats(s)));
  const kernels::AttentionFn attention = table->attention_for(type);
  for (auto _ : state) {
    if (per_query) {
      kernels::AttentionShape one = s;
      one.n_tokens = 1;
      for (int64_t t = 0; t < n_tokens; ++t) {
        one.pos0 = pos0 + t;
        attention(one, q.data() + t * q_width, k.data(), v.data(), out.data() + t * q_width, scores.data(), 0,
                  s.n_heads);
      }
    } else {
      attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, s.n_heads);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // sum over queries of the keys they read: n_tokens * pos0 + n_tokens (n_tokens + 1) / 2
  const int64_t pairs = n_tokens * pos0 + n_tokens * (n_tokens + 1) / 2;
  state.SetItemsProcessed(state.iterations() * pairs * s.n_heads * s.head_dim * 4);
}

bool register_prefill() {
  using kernels::KvType;
  const PrefillCase cases[] = {{"9x3x64", 9, 3, 64}, {"14x2x64", 14, 2, 64}};
  const kernels::KernelTable* table = &kernels::active_kernels();
  for (const PrefillCase& c : cases) {
    for (const KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0, KvType::kQ4_0}) {
      for (const bool per_query : {false, true}) {
        const std::string name = "attention_prefill/" + std::string(c.name) + "/" + std::string(table->isa) +
                                 (per_query ? "-per-query/" : "/") + std::string(kernels::kv_type_name(type));
        auto* b = benchmark::RegisterBenchmark(name.c_str(), run_prefill, table, type, c, per_query);
        b->ArgNames({"tokens", "pos0"})->Unit(benchmark::kMillisecond);
        for (const int64_t n_tokens : {64, 512}) {
          for (const int64_t pos0 : {0, 512, 1536}) b->Args({n_tokens, pos0});
        }
      }
    }
  }
  return true;
}

const bool prefill_registered = register_prefill();

bool register_attention() {
  using kernels::KvType;
  for (const bool scalar : {false, true}) {
    const kernels::KernelTable* table = scalar ? &kernels::scalar_kernels() : &kernels::active_kernels();
    for (const KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0, KvType::kQ4_0}) {
      if (scalar && type != KvType::kF32) continue;
      const std::string name =
          "attention/14x2x64/" + std::string(table->isa) + "/" + std::string(kernels::kv_type_name(type));
      benchmark::RegisterBenchmark(name.c_str(), run_attention, table, type)
          ->RangeMultiplier(2)
          ->Range(128, 4096)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}

const bool registered = register_attention();

} // namespace
} // namespace lathe::bench
