// The roofline: how fast one thread reads memory, with buffers sized to stay
// in L2, to stay in L3, and well beyond L3. A matvec over weights that do not
// fit in a cache level cannot beat the read speed of the next level.
//
// The loop XORs 64-bit words into eight accumulators: no float rounding to
// keep in order, so the compiler vectorizes it with the widest registers the
// ISA flags allow (this file is compiled with LATHE_ISA's flags), and the
// work per byte is far below what the memory system delivers.
//
//   build/bench/lathe_kernels_bench --benchmark_filter='^read_bandwidth' --benchmark_repetitions=5

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace lathe::bench {
namespace {

uint64_t xor_words(const uint64_t* __restrict p, int64_t n_words) {
  uint64_t acc[8] = {};
  for (int64_t i = 0; i < n_words; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] ^= p[i + j];
  }
  uint64_t r = 0;
  for (uint64_t a : acc) r ^= a;
  return r;
}

void read_bandwidth(benchmark::State& state) {
  const int64_t bytes = state.range(0);
  auto* buf = static_cast<uint64_t*>(std::aligned_alloc(64, static_cast<size_t>(bytes)));
  if (!buf) throw std::bad_alloc();
  std::memset(buf, 1, static_cast<size_t>(bytes)); // touch every page
  for (auto _ : state) benchmark::DoNotOptimize(xor_words(buf, bytes / 8));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["MiB"] = static_cast<double>(bytes) / (1 << 20);
  std::free(buf);
}

// L2 is 2 MiB per core and L3 105 MiB on the reference machine (lscpu).
BENCHMARK(read_bandwidth)
    ->Arg(int64_t{1} << 20)    // 1 MiB: L2
    ->Arg(int64_t{32} << 20)   // 32 MiB: L3
    ->Arg(int64_t{1} << 30)    // 1 GiB: memory
    ->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace lathe::bench
