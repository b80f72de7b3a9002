// Decode attention (one query token) over an f32 KV cache of 128 .. 4096
// positions, for the kernel table this build compiled in and the scalar
// reference: the head layout of qwen2.5-coder-0.5b (14 query heads on 2 KV
// heads of 64), all heads in one call. Bytes processed are the K and V rows
// read (each once per KV head).
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

void run_attention(benchmark::State& state, const kernels::KernelTable* table) {
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
  const std::vector<float> k = random_floats(ctx * kv_width, 2);
  const std::vector<float> v = random_floats(ctx * kv_width, 3);
  std::vector<float> out(q.size());
  std::vector<float> scores(static_cast<size_t>(ctx));
  for (auto _ : state) {
    table->attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, s.n_heads);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * ctx * kv_width * static_cast<int64_t>(sizeof(float)));
  state.SetItemsProcessed(state.iterations() * ctx); // positions
}

bool register_attention() {
  for (const bool scalar : {false, true}) {
    const kernels::KernelTable* table = scalar ? &kernels::scalar_kernels() : &kernels::active_kernels();
    const std::string name = "attention/14x2x64/" + std::string(table->isa);
    benchmark::RegisterBenchmark(name.c_str(), run_attention, table)
        ->RangeMultiplier(2)
        ->Range(128, 4096)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}

const bool registered = register_attention();

} // namespace
} // namespace lathe::bench
