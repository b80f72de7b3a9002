// The one kernel table: every compute kernel the engine calls, as a struct of
// function pointers. Each kernel family has one signature (declared here) that
// every ISA variant shares; a variant fills a table with its own functions and
// active_kernels() returns the table of the variant this build compiled in.
//
// The engine calls kernels only through this table, never by name, so that
// switching the ISA is a build option and nothing else.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kernels/kv_types.h"
#include "kernels/quant_types.h"

namespace lathe::kernels {

// --- Activations -----------------------------------------------------------
//
// A matrix-vector product W x with a quantized W first quantizes x into the
// 8-bit block format the weight type dots with (as ggml does), then sums
// integer products block by block with float scales:
//   Q4_0, Q5_0, Q8_0              x as Q8_0 (32 elements, one f16 scale)
//   Q4_1, Q5_1                    x as Q8_1 (Q8_0 plus d * sum(qs), for the minimum)
//   Q2_K .. Q6_K                  x as Q8_K (256 elements, float scale, sums per 16)
//   F32, F16, BF16                x stays f32 and the dot is in float
enum class ActivationType { kF32, kQ8_0, kQ8_1, kQ8_K };

std::string_view activation_type_name(ActivationType type);

// Bytes of one activation row of n elements (n a multiple of the block size).
int64_t activation_row_bytes(ActivationType type, int64_t n);

// Quantizes n floats (n a multiple of the block size) into y.
using QuantizeRowFn = void (*)(const float* __restrict x, void* __restrict y, int64_t n);

// --- Linear layers ---------------------------------------------------------
//
// A weight W of `rows` rows of n elements, each row stored as row_bytes(type, n)
// bytes back to back (GGUF order: row r starts at w + r * row_bytes).

// y[r] = dot(W row r, x) for r in [row_begin, row_end); other entries of y are
// not touched, so threads can split the rows.
//   xq: x (n elements) in the weight type's activation format
//   y:  indexed by absolute row number
using MatvecFn = void (*)(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                          int64_t row_begin, int64_t row_end);

// Y[t][r] = dot(W row r, X row t) for t in [0, n_tokens), r in [row_begin, row_end).
//   xq: n_tokens activation rows, row t at xq + t * activation_row_bytes(type, n)
//   y:  Y[t][r] at y[t * y_stride + r]; y_stride >= row_end
using MatmulFn = void (*)(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                          int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end);

// As MatmulFn, for the native prefill backend: a cache-tiled GEMM that
// unpacks each weight tile once for all the tokens. Results equal matmul's
// within float rounding (the integer block sums are the same; the float sums
// run in another order), not bit for bit.
//   scratch: gemm_scratch_bytes(n, n_tokens) bytes owned by the calling thread.
using GemmFn = void (*)(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                        int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);

// Bytes of scratch a GemmFn needs for rows of n elements and n_tokens tokens.
using GemmScratchFn = int64_t (*)(int64_t n, int64_t n_tokens);

// --- Interleaved (repacked) weight layouts ----------------------------------
//
// A kernel may read a weight in a layout of its own, made once at load time
// from the GGUF rows (e.g. four rows interleaved block by block, their scales
// side by side). The kernel owns both the layout and the functions below; a
// caller only asks for the size, repacks into a buffer it owns (64-byte
// aligned) and passes that buffer to the layout's matvec instead of the rows.

// Bytes of the layout for `rows` rows of n elements (n a multiple of the block size).
using RepackedBytesFn = int64_t (*)(int64_t rows, int64_t n);
// GGUF rows (src, rows * row_bytes) -> the layout (dst, RepackedBytesFn bytes),
// or back (unrepack: the layout -> GGUF rows, bit for bit).
using RepackFn = void (*)(const void* __restrict src, void* __restrict dst, int64_t rows, int64_t n);

struct RepackedLayout {
  std::string_view name;          // e.g. "q8_0x4"
  RepackedBytesFn bytes = nullptr;
  RepackFn repack = nullptr;
  RepackFn unrepack = nullptr;
  MatvecFn matvec = nullptr;      // as LinearKernels::matvec, w in this layout; nullptr: no layout
  int64_t max_cols = 0;           // repack only weights whose rows have at most this many elements (0: any)
};

// A layout and the weight type it is for.
struct LayoutCandidate {
  QuantType type;
  RepackedLayout layout;
};

// Everything one weight type needs to be multiplied.
struct LinearKernels {
  ActivationType activation = ActivationType::kF32;
  MatvecFn matvec = nullptr; // decode: one token
  MatmulFn matmul = nullptr; // prefill: a chunk of tokens
  GemmFn gemm = nullptr;     // prefill, native backend; nullptr: matmul is used
  RepackedLayout repacked = {}; // decode on an interleaved layout: set where it measured faster than plain
};

// --- Element-wise ----------------------------------------------------------

// Expands row `n` elements of a weight of the given type into floats (the
// embedding lookup). Returns false for a type without a dequantizer.
using DequantizeRowFn = bool (*)(QuantType type, const void* src, float* dst, int64_t n);

// y = x / sqrt(mean(x^2) + eps) * w, n elements. y may alias x.
using RmsNormFn = void (*)(const float* x, const float* __restrict w, float* y, int64_t n, float eps);

// y = silu(gate) * up, n elements; silu(g) = g / (1 + exp(-g)). y may alias either input.
using SiluMulFn = void (*)(const float* gate, const float* up, float* y, int64_t n);

// x += y, n elements.
using AddFn = void (*)(float* __restrict x, const float* __restrict y, int64_t n);

// --- Rotary position embedding ---------------------------------------------

enum class RopeLayout {
  kInterleaved, // rotates pairs (2i, 2i + 1): llama, whose Q/K rows the GGUF converter permuted
  kNeox,        // rotates pairs (i, i + rope_dim / 2): qwen2
};

struct RopeParams {
  int64_t head_dim = 0;               // stride between heads
  int64_t rope_dim = 0;               // rotated dimensions per head: even, <= head_dim; the rest pass through
  float theta_scale = 1.0f;           // base^(-2 / rope_dim): pair i turns by pos * theta_scale^i
  float freq_scale = 1.0f;            // 1 / linear scaling factor
  const float* freq_factors = nullptr; // (rope_dim / 2) divisors of each pair's angle (llama3), or null
  RopeLayout layout = RopeLayout::kInterleaved;
};

// Rotates, in place, the n_heads heads of one token at position pos:
//   x: (n_heads, head_dim)
// Pair i turns by theta_i = freq_scale * pos * theta_scale^i / freq_factors[i],
// with pos * theta_scale^i formed by repeated float multiplication as ggml does.
using RopeFn = void (*)(float* x, int64_t n_heads, int64_t pos, const RopeParams& p);

// --- Attention -------------------------------------------------------------

struct AttentionShape {
  int64_t n_tokens = 0;   // queries, at positions pos0 .. pos0 + n_tokens - 1
  int64_t pos0 = 0;       // query t sees keys 0 .. pos0 + t (causal), or the window's part of them
  int64_t n_heads = 0;    // query heads
  int64_t n_kv_heads = 0; // key/value heads; query head h reads KV head h / (n_heads / n_kv_heads)
  int64_t head_dim = 0;
  float scale = 1.0f;     // applied to q.k, usually 1 / sqrt(head_dim)
  int64_t window = 0;     // 0: all keys; else the last `window` positions only (kernels/kv_types.h)
  int64_t n_slots = 0;    // 0: row p holds position p; else row p % n_slots (a ring)
};

// Causal grouped-query attention, softmax(q k^T * scale) v, for the heads in
// [head_begin, head_end), over a cache in one KvType (one function per type):
//   q:      (n_tokens, n_heads * head_dim)
//   k, v:   (rows, kv_row_bytes(type, n_kv_heads * head_dim) bytes): a row per
//           position, as AttentionShape::n_slots maps them; every position a
//           query reads (key_runs) is there
//   out:    (n_tokens, n_heads * head_dim); only the chosen heads are written
//   scores: per-thread scratch of the table's attention_scratch_floats(s)
//           floats: at least attention_key_floats(s), more where a kernel
//           tiles many query tokens
// Scores and sums are accumulated in f32 from the dequantized cache elements.
// PRECONDITION: head_dim is a multiple of kv_block_size(type).
using AttentionFn = void (*)(const AttentionShape& s, const float* __restrict q, const void* __restrict k,
                             const void* __restrict v, float* __restrict out, float* __restrict scores,
                             int64_t head_begin, int64_t head_end);

// The most keys one query of s reads: pos0 + n_tokens, or the window.
inline int64_t attention_key_floats(const AttentionShape& s) { return s.window > 0 ? s.window : s.pos0 + s.n_tokens; }

// Floats of `scores` scratch a table's AttentionFn needs for shape s (every
// KV type). A shape with no more tokens and no later positions (the rest
// equal) needs no more, so a session sizes it once for its largest call.
using AttentionScratchFn = int64_t (*)(const AttentionShape& s);

// --- The table -------------------------------------------------------------

struct KernelTable {
  std::string_view isa; // "scalar", "avx2", ...

  QuantizeRowFn quantize_q8_0 = nullptr;
  QuantizeRowFn quantize_q8_1 = nullptr;
  QuantizeRowFn quantize_q8_k = nullptr;

  LinearKernels f32, f16, bf16;
  LinearKernels q4_0, q4_1, q5_0, q5_1, q8_0;
  LinearKernels q2_k, q3_k, q4_k, q5_k, q6_k;

  DequantizeRowFn dequantize_row = nullptr;
  RmsNormFn rmsnorm = nullptr;
  SiluMulFn silu_mul = nullptr;
  AddFn add = nullptr;
  RopeFn rope = nullptr;
  AttentionFn attention = nullptr; // over an f32 cache
  AttentionFn attention_f16 = nullptr;
  AttentionFn attention_q8_0 = nullptr;
  AttentionFn attention_q4_0 = nullptr;
  AttentionScratchFn attention_scratch = nullptr; // nullptr: attention_key_floats
  KvStoreRowFn store_kv_f32 = nullptr;
  KvStoreRowFn store_kv_f16 = nullptr;
  KvStoreRowFn store_kv_q8_0 = nullptr;
  KvStoreRowFn store_kv_q4_0 = nullptr;
  GemmScratchFn gemm_scratch_bytes = nullptr; // set when any LinearKernels::gemm is
  std::string_view gemm_unit;                 // what the gemm kernels run on ("avx512-vnni", "amx"), or ""
  // This table with its gemm entries on the ISA's vector unit, when gemm_unit
  // is a matrix unit (AMX); nullptr when the gemm already runs on vectors.
  const KernelTable* vector_gemm = nullptr;
  // Every interleaved layout this ISA has, those it uses (LinearKernels::repacked)
  // and those kept to re-measure on other CPUs (bench/matvec_bench.cpp, layout/).
  std::vector<LayoutCandidate> layout_candidates;

  // The kernels for a weight type, or nullptr when this table cannot multiply it.
  const LinearKernels* linear(QuantType type) const;
  // The quantizer for an activation format; nullptr for kF32 (used as is).
  QuantizeRowFn quantizer(ActivationType type) const;
  // The attention kernel and the row store for a KV cache type.
  AttentionFn attention_for(KvType type) const;
  // The `scores` floats per thread its attention kernels need for shape s.
  int64_t attention_scratch_floats(const AttentionShape& s) const;
  KvStoreRowFn kv_store(KvType type) const;
};

// Which unit the prefill GEMM runs on (the config's prefill.gemm_unit):
//   kAuto    the table as it is: AMX where the CPU and OS allow it (avx512
//            builds), the ISA's vector kernels otherwise
//   kVector  the ISA's vector kernels (AVX-512 VNNI) even where AMX is usable
enum class GemmUnit { kAuto, kVector };

// t, or its vector_gemm twin for kVector when it has one.
inline const KernelTable& with_gemm_unit(const KernelTable& t, GemmUnit unit) {
  return unit == GemmUnit::kVector && t.vector_gemm ? *t.vector_gemm : t;
}

// The scalar reference set: always built, the oracle for every other ISA.
const KernelTable& scalar_kernels();

// The table of the ISA variant compiled in (LATHE_ISA), defined by that
// variant's kernel_table_*.cpp (the scalar build's is the scalar table).
const KernelTable& isa_kernels();

// The set this build uses (LATHE_ISA): isa_kernels().
const KernelTable& active_kernels();

} // namespace lathe::kernels
