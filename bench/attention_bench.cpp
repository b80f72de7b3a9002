// Decode attention (one query token) over a KV cache of 128 .. 4096
// positions in each cache type (f32, f16, q8_0, q4_0), for the kernel table
// this build compiled in (and the scalar reference, f32 only): the head
// layout of qwen2.5-coder-0.5b (14 query heads on 2 KV heads of 64), all
// heads in one call. Bytes processed are the K and V rows read, in the cache's
// type (each once per KV head).
//
//   build/bench/lathe_kernels_bench --benchmark_filter='^attention/' --benchmark_repetitions=5

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
