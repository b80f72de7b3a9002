// Prefill GEMM speed at the default models' shapes and chunk sizes 16..512:
// the native GEMM (LinearKernels::gemm) of the kernel table this build
// compiled in, on every unit it has (AMX where usable, and the vector
// kernels: ".../gemm-amx", ".../gemm-avx512-vnni"), beside the matmul it
// replaces (matvec per token over row tiles). Reported as GOP/s, counting a multiply and an add per weight and
// token (2 * rows * n * tokens), the int8 operations of the unit used; the
// activations are quantized outside the timed loop, as the engine quantizes
// them once per layer input.
//
//   build/bench/lathe_kernels_bench --benchmark_filter='^gemm/' --benchmark_repetitions=5
//
// The benchmarks of one shape and chunk size are registered next to each
// other (amx, vnni, matmul), so a run interleaves the units in time.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernel_bench_data.h"
#include "kernels/kernel_table.h"

namespace lathe::bench {
namespace {

using kernels::QuantType;

struct Shape {
  const char* tensor;
  QuantType type;
  int64_t rows;
  int64_t n;
};

// The prefill matrices of qwen2.5-coder-0.5b (Q4_K_M) and smollm2-135m (Q4_1);
// the output matrix is left out (prefill asks for the last token's logits).
const Shape kShapes[] = {
    {"qwen.attn_q", QuantType::Q5_0, 896, 896},     {"qwen.attn_v", QuantType::Q8_0, 128, 896},
    {"qwen.ffn_up", QuantType::Q5_0, 4864, 896},    {"qwen.ffn_down", QuantType::Q4_K, 896, 4864},
    {"qwen.ffn_down", QuantType::Q6_K, 896, 4864},  {"smollm.ffn_up", QuantType::Q4_1, 1536, 576},
    {"smollm.ffn_up", QuantType::Q8_0, 1536, 576},  {"qwen_q4_0.ffn_up", QuantType::Q4_0, 4864, 896},
};

// native: table's gemm (table: the active one or its vector_gemm twin); else its matmul.
void run_gemm(benchmark::State& state, const kernels::KernelTable* table_ptr, Shape shape, int64_t tokens,
              bool native) {
  const kernels::KernelTable& table = *table_ptr;
  const kernels::LinearKernels* k = table.linear(shape.type);
  if (!k || (native && !k->gemm)) {
    state.SkipWithError("no gemm kernel for this type in this build");
    return;
  }
  const std::vector<uint8_t> w = random_weights(shape.type, shape.rows, shape.n, 42);
  const std::vector<float> x = random_floats(shape.n * tokens, 7);
  const int64_t x_stride = kernels::activation_row_bytes(k->activation, shape.n);
  std::vector<uint8_t> xq(static_cast<size_t>(x_stride * tokens));
  for (int64_t t = 0; t < tokens; ++t) table.quantizer(k->activation)(x.data() + t * shape.n, xq.data() + t * x_stride, shape.n);
  std::vector<float> y(static_cast<size_t>(shape.rows * tokens));
  std::vector<uint8_t> scratch(native ? static_cast<size_t>(table.gemm_scratch_bytes(shape.n, tokens)) : 0);
  for (auto _ : state) {
    if (native) {
      k->gemm(w.data(), xq.data(), y.data(), shape.n, tokens, shape.rows, 0, shape.rows, scratch.data());
    } else {
      k->matmul(w.data(), xq.data(), y.data(), shape.n, tokens, shape.rows, 0, shape.rows);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double ops = 2.0 * static_cast<double>(shape.rows * shape.n * tokens);
  state.counters["GOP/s"] = benchmark::Counter(ops * 1e-9 * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

bool register_gemm() {
  const kernels::KernelTable* active = &kernels::active_kernels();
  const kernels::KernelTable* vector = &kernels::with_gemm_unit(*active, kernels::GemmUnit::kVector);
  struct Variant {
    const kernels::KernelTable* table;
    bool native;
  };
  std::vector<Variant> variants = {{active, true}};
  if (vector != active) variants.push_back({vector, true});
  variants.push_back({active, false});
  for (const Shape& s : kShapes) {
    for (const int64_t tokens : {16, 32, 64, 128, 256, 512}) {
      for (const Variant& v : variants) {
        const std::string unit = v.native ? "/gemm-" + std::string(v.table->gemm_unit) : "/matmul";
        const std::string name = "gemm/" + type_name(s.type) + "/" + std::to_string(s.rows) + "x" +
                                 std::to_string(s.n) + "/" + s.tensor + "/tokens:" + std::to_string(tokens) + "/" +
                                 std::string(active->isa) + unit;
        benchmark::RegisterBenchmark(name.c_str(), run_gemm, v.table, s, tokens, v.native)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return true;
}

const bool registered = register_gemm();

} // namespace
} // namespace lathe::bench
