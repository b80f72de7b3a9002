// Intel AMX (amx-tile, amx-int8): the prefill GEMM on the tile unit, and the
// checks that decide whether it may run. The same names and signatures as the
// AVX-512 gemm kernels (kernels/x86/avx512/avx512_kernels.h), in their own
// namespace; they share its scratch layout (avx512::gemm_scratch_bytes).
//
// The gemm functions may run only after status().usable is true on this
// process (the permission request comes first); the avx512 kernel table
// (kernel_table_avx512.cpp) takes them only then.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/kernel_table.h"

namespace lathe::kernels::amx {

// What the CPU, the OS and the kernel's permission say about AMX.
struct Probe {
  bool cpu_tile = false; // CPUID.(7,0):EDX[24] AMX-TILE
  bool cpu_int8 = false; // CPUID.(7,0):EDX[25] AMX-INT8
  bool os_xsave = false; // CPUID.1:ECX[27] OSXSAVE (XGETBV usable)
  uint64_t xcr0 = 0;     // XCR0; bits 17 (XTILECFG) and 18 (XTILEDATA): the OS manages the tile state
  int permission_error =
      -1; // errno of arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA); 0 = granted, -1 = not asked
};

struct Status {
  bool usable = false;
  std::string reason; // why not, when !usable: one short phrase
};

// Reads the CPU and OS state and, when they allow AMX, asks Linux for the
// tile data permission (once per process; later calls return the first answer).
Probe probe();
// The verdict on a probe (pure: tests feed it refusals).
Status judge(const Probe& p);
// judge(probe()), computed once per process.
const Status& status();

// The avx512 table t with every gemm entry on AMX and gemm_unit "amx".
// PRECONDITION: status().usable.
void use_amx_gemm(KernelTable& t);

// --- gemm.cpp: prefill GEMM on the tile unit (GemmFn) ---
void gemm_q4_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_1_q8_1(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q8_0_q8_0(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q4_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q5_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);
void gemm_q6_k_q8_k(const void* __restrict w, const void* __restrict xq, float* __restrict y, int64_t n,
                    int64_t n_tokens, int64_t y_stride, int64_t row_begin, int64_t row_end, void* scratch);

} // namespace lathe::kernels::amx
