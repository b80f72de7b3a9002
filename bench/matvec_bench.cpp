// Matvec speed at the real shapes of the default models, for the kernel table
// this build compiled in (LATHE_ISA) and for the scalar reference, reported
// as weight bytes per second (SetBytesProcessed).
//
// Each shape runs twice:
//   hot   the same weights every iteration: small matrices stay in L2 or L3
//   cold  iterations walk through copies of the weights totalling 320 MB (3x
//         the L3 of the reference machine), so every matrix streams from
//         memory as it does in decode, where the whole model is read per token
// The weights are random bytes with finite random scales (no model file).
//
//   build/bench/lathe_kernels_bench --benchmark_filter='^matvec/' --benchmark_repetitions=5
//
// The layout/ family compares, shape by shape, the plain GGUF rows against
// each interleaved layout the ISA has (KernelTable::layout_candidates), all
// in 64-byte-aligned buffers; bytes per second count the bytes the kernel
// reads (a layout may be larger than the rows):
//   build/bench/lathe_kernels_bench --benchmark_filter='^layout/' --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernel_bench_data.h"
#include "kernels/kernel_table.h"

namespace lathe::bench {
namespace {

using kernels::QuantType;

struct Shape {
  const char* tensor; // model and tensor names, for the report
  QuantType type;
  int64_t rows;
  int64_t n;
};

// qwen2.5-coder-0.5b (Q4_K_M file): dim 896, ffn 4864, 2 KV heads of 64, vocabulary 151936.
// smollm2-135m (Q4_1 file): dim 576, ffn 1536, 3 KV heads of 64, vocabulary 49152.
const Shape kShapes[] = {
    {"qwen.attn_q", QuantType::Q5_0, 896, 896},          {"qwen.attn_k", QuantType::Q5_0, 128, 896},
    {"qwen.attn_v", QuantType::Q8_0, 128, 896},          {"qwen.ffn_up", QuantType::Q5_0, 4864, 896},
    {"qwen.ffn_down", QuantType::Q4_K, 896, 4864},       {"qwen.ffn_down", QuantType::Q6_K, 896, 4864},
    {"qwen.token_embd", QuantType::Q5_0, 151936, 896},   {"qwen.output", QuantType::Q8_0, 151936, 896},
    {"smollm.attn_q", QuantType::Q4_1, 576, 576},        {"smollm.attn_q", QuantType::Q8_0, 576, 576},
    {"smollm.attn_k", QuantType::Q4_1, 192, 576},        {"smollm.attn_k", QuantType::Q8_0, 192, 576},
    {"smollm.ffn_up", QuantType::Q4_1, 1536, 576},       {"smollm.ffn_up", QuantType::Q8_0, 1536, 576},
    {"smollm.ffn_down", QuantType::Q4_1, 576, 1536},     {"smollm.ffn_down", QuantType::Q8_0, 576, 1536},
    {"smollm.output", QuantType::Q4_1, 49152, 576},      {"smollm.output", QuantType::Q8_0, 49152, 576},
};

constexpr int64_t kColdBytes = int64_t{320} << 20;

void run_matvec(benchmark::State& state, const kernels::KernelTable* table, Shape shape, bool cold) {
  const kernels::LinearKernels* k = table->linear(shape.type);
  if (!k) {
    state.SkipWithError("no kernel for this type");
    return;
  }
  const int64_t matrix_bytes = shape.rows * weight_row_bytes(shape.type, shape.n);
  const int64_t copies = cold ? std::max<int64_t>(1, (kColdBytes + matrix_bytes - 1) / matrix_bytes) : 1;
  std::vector<uint8_t> w = random_weights(shape.type, shape.rows, shape.n, 42);
  w.resize(static_cast<size_t>(copies * matrix_bytes));
  for (int64_t c = 1; c < copies; ++c) std::memcpy(w.data() + c * matrix_bytes, w.data(), matrix_bytes);

  const std::vector<float> x = random_floats(shape.n, 7);
  std::vector<uint8_t> xq(static_cast<size_t>(kernels::activation_row_bytes(k->activation, shape.n)));
  if (kernels::QuantizeRowFn quantize = table->quantizer(k->activation)) {
    quantize(x.data(), xq.data(), shape.n);
  } else {
    std::memcpy(xq.data(), x.data(), xq.size());
  }
  std::vector<float> y(static_cast<size_t>(shape.rows));

  int64_t c = 0;
  for (auto _ : state) {
    k->matvec(w.data() + c * matrix_bytes, xq.data(), y.data(), shape.n, 0, shape.rows);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    if (++c == copies) c = 0;
  }
  state.SetBytesProcessed(state.iterations() * matrix_bytes);
  state.counters["MiB"] = static_cast<double>(matrix_bytes) / (1 << 20);
}

// --- Plain against repacked layouts ---------------------------------------------

// The shapes: Qwen2.5 0.5B in Q8_0, Q5_0 and Q4_0, SmolLM2 135M in Q4_1 and Q8_0.
struct LayoutShape {
  const char* tensor;
  int64_t rows;
  int64_t n;
  std::vector<QuantType> types;
};
const LayoutShape kLayoutShapes[] = {
    {"qwen.attn_q", 896, 896, {QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0}},
    {"qwen.attn_k", 128, 896, {QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0}},
    {"qwen.ffn_up", 4864, 896, {QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0}},
    {"qwen.ffn_down", 896, 4864, {QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0}},
    {"qwen.output", 151936, 896, {QuantType::Q8_0, QuantType::Q5_0, QuantType::Q4_0}},
    {"smollm.attn_q", 576, 576, {QuantType::Q4_1, QuantType::Q8_0}},
    {"smollm.ffn_up", 1536, 576, {QuantType::Q4_1, QuantType::Q8_0}},
    {"smollm.ffn_down", 576, 1536, {QuantType::Q4_1, QuantType::Q8_0}},
};

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t[], FreeDeleter>;

AlignedBytes aligned_bytes(int64_t bytes) {
  const auto size = static_cast<size_t>((bytes + 63) / 64 * 64);
  return AlignedBytes(static_cast<uint8_t*>(std::aligned_alloc(64, size)));
}

// layout: nullptr for the plain rows.
void run_layout(benchmark::State& state, const kernels::RepackedLayout* layout, QuantType type, int64_t rows,
                int64_t n, bool cold) {
  const kernels::KernelTable& table = kernels::active_kernels();
  const kernels::LinearKernels* k = table.linear(type);
  // The random rows of the last shape asked for, kept across runs (the plain
  // and repacked cases of a shape run one after the other).
  static std::vector<uint8_t> plain;
  static int64_t plain_key[3] = {-1, -1, -1};
  if (plain_key[0] != static_cast<int64_t>(type) || plain_key[1] != rows || plain_key[2] != n) {
    plain = random_weights(type, rows, n, 42);
    plain_key[0] = static_cast<int64_t>(type);
    plain_key[1] = rows;
    plain_key[2] = n;
  }
  const int64_t matrix_bytes = layout ? layout->bytes(rows, n) : rows * weight_row_bytes(type, n);
  const int64_t stride = (matrix_bytes + 63) / 64 * 64;
  const int64_t copies = cold ? std::max<int64_t>(1, (kColdBytes + matrix_bytes - 1) / matrix_bytes) : 1;
  AlignedBytes w = aligned_bytes(copies * stride);
  if (layout) {
    layout->repack(plain.data(), w.get(), rows, n);
  } else {
    std::memcpy(w.get(), plain.data(), static_cast<size_t>(matrix_bytes));
  }
  for (int64_t c = 1; c < copies; ++c) std::memcpy(w.get() + c * stride, w.get(), static_cast<size_t>(matrix_bytes));
  const kernels::MatvecFn matvec = layout ? layout->matvec : k->matvec;

  const std::vector<float> x = random_floats(n, 7);
  std::vector<uint8_t> xq(static_cast<size_t>(kernels::activation_row_bytes(k->activation, n)));
  table.quantizer(k->activation)(x.data(), xq.data(), n);
  std::vector<float> y(static_cast<size_t>(rows));

  int64_t c = 0;
  for (auto _ : state) {
    matvec(w.get() + c * stride, xq.data(), y.data(), n, 0, rows);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    if (++c == copies) c = 0;
  }
  state.SetBytesProcessed(state.iterations() * matrix_bytes);
  state.counters["MiB"] = static_cast<double>(matrix_bytes) / (1 << 20);
}

bool register_layouts() {
  const kernels::KernelTable& table = kernels::active_kernels();
  for (const LayoutShape& s : kLayoutShapes) {
    for (const QuantType type : s.types) {
      std::vector<const kernels::RepackedLayout*> layouts = {nullptr}; // plain first
      for (const kernels::LayoutCandidate& c : table.layout_candidates) {
        if (c.type == type) layouts.push_back(&c.layout);
      }
      if (layouts.size() == 1) continue; // nothing to compare with on this ISA
      for (const bool cold : {false, true}) {
        for (const kernels::RepackedLayout* layout : layouts) {
          const std::string name = "layout/" + type_name(type) + "/" + std::to_string(s.rows) + "x" +
                                   std::to_string(s.n) + "/" + s.tensor + "/" +
                                   std::string(layout ? layout->name : "plain") + (cold ? "/cold" : "/hot");
          benchmark::RegisterBenchmark(name.c_str(), run_layout, layout, type, s.rows, s.n, cold)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  return true;
}

bool register_matvec() {
  for (const Shape& s : kShapes) {
    for (const bool scalar : {false, true}) {
      const kernels::KernelTable* table = scalar ? &kernels::scalar_kernels() : &kernels::active_kernels();
      for (const bool cold : {false, true}) {
        const std::string name = "matvec/" + type_name(s.type) + "/" + std::to_string(s.rows) + "x" +
                                 std::to_string(s.n) + "/" + s.tensor + "/" + std::string(table->isa) +
                                 (cold ? "/cold" : "/hot");
        benchmark::RegisterBenchmark(name.c_str(), run_matvec, table, s, cold)->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return true;
}

const bool registered = register_matvec() && register_layouts();

} // namespace
} // namespace lathe::bench
