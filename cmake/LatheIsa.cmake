# LATHE_ISA picks the one SIMD variant of kernels/ that is compiled in.
#   auto    the best the build host supports (detected by running a probe)
#   scalar  the portable reference only (always built in any case)
#   avx2    x86-64 AVX2 + FMA + F16C
#   avx512  x86-64 AVX-512 F/BW/VL/DQ + VNNI
#   neon    arm64 NEON with the dot-product extension (ARMv8.2, Apple M-series)
# LATHE_NEON_I8MM=ON adds the int8 matrix multiply (smmla) to neon: Apple M2
# and later and most ARMv8.6+ cores have it, Apple M1 does not (such a build
# stops with SIGILL there), hence OFF by default.
# Sets LATHE_ISA_RESOLVED and LATHE_ISA_FLAGS (compile flags for that variant).

set(LATHE_ISA "auto" CACHE STRING "Kernel instruction set: auto, scalar, avx2, avx512 or neon")
set_property(CACHE LATHE_ISA PROPERTY STRINGS auto scalar avx2 avx512 neon)

set(_lathe_isa_flags_scalar "")
set(_lathe_isa_flags_avx2 -mavx2 -mfma -mf16c)
set(_lathe_isa_flags_avx512 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni)
set(_lathe_isa_flags_neon -march=armv8.2-a+dotprod+fp16)
option(LATHE_NEON_I8MM "With LATHE_ISA=neon: use the i8mm (smmla) prefill GEMM; needs Apple M2+ or ARMv8.6" OFF)
if(LATHE_NEON_I8MM)
  set(_lathe_isa_flags_neon -march=armv8.2-a+dotprod+fp16+i8mm)
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_lathe_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(_lathe_arch arm)
else()
  set(_lathe_arch other)
endif()

function(_lathe_detect_isa out)
  if(_lathe_arch STREQUAL "arm")
    set(${out} neon PARENT_SCOPE)  # every arm64 target we support has dotprod
    return()
  endif()
  if(NOT _lathe_arch STREQUAL "x86" OR CMAKE_CROSSCOMPILING)
    set(${out} scalar PARENT_SCOPE)
    return()
  endif()
  set(probe "${CMAKE_BINARY_DIR}/lathe_isa_probe.cpp")
  file(WRITE "${probe}" [=[
#include <cstdio>
int main() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni")) { std::puts("avx512"); return 0; }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { std::puts("avx2"); return 0; }
  std::puts("scalar");
  return 0;
}
]=])
  try_run(run_result compile_result "${CMAKE_BINARY_DIR}/lathe_isa_probe" "${probe}"
          RUN_OUTPUT_VARIABLE detected)
  string(STRIP "${detected}" detected)
  if(NOT compile_result OR NOT run_result EQUAL 0 OR detected STREQUAL "")
    set(detected scalar)
  endif()
  set(${out} ${detected} PARENT_SCOPE)
endfunction()

if(LATHE_ISA STREQUAL "auto")
  _lathe_detect_isa(LATHE_ISA_RESOLVED)
elseif(LATHE_ISA MATCHES "^(scalar|avx2|avx512|neon)$")
  set(LATHE_ISA_RESOLVED ${LATHE_ISA})
else()
  message(FATAL_ERROR "LATHE_ISA='${LATHE_ISA}': expected one of auto, scalar, avx2, avx512, neon")
endif()

if(LATHE_ISA_RESOLVED MATCHES "^avx" AND NOT _lathe_arch STREQUAL "x86")
  message(FATAL_ERROR "LATHE_ISA=${LATHE_ISA_RESOLVED} needs an x86-64 target; this build targets "
                      "${CMAKE_SYSTEM_PROCESSOR}. Use LATHE_ISA=auto, scalar or neon.")
endif()
if(LATHE_ISA_RESOLVED STREQUAL "neon" AND NOT _lathe_arch STREQUAL "arm")
  message(FATAL_ERROR "LATHE_ISA=neon needs an arm64 target; this build targets "
                      "${CMAKE_SYSTEM_PROCESSOR}. Use LATHE_ISA=auto, scalar, avx2 or avx512.")
endif()

if(LATHE_NEON_I8MM AND NOT LATHE_ISA_RESOLVED STREQUAL "neon")
  message(FATAL_ERROR "LATHE_NEON_I8MM=ON needs LATHE_ISA=neon (an arm64 target); this build's ISA is "
                      "${LATHE_ISA_RESOLVED}. Turn LATHE_NEON_I8MM off or build for arm64.")
endif()

set(LATHE_ISA_FLAGS ${_lathe_isa_flags_${LATHE_ISA_RESOLVED}})
if(LATHE_ISA_FLAGS)
  include(CheckCXXCompilerFlag)
  string(REPLACE ";" " " _flags_str "${LATHE_ISA_FLAGS}")
  set(CMAKE_REQUIRED_FLAGS "${_flags_str}")
  check_cxx_compiler_flag("" LATHE_ISA_FLAGS_OK_${LATHE_ISA_RESOLVED})
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT LATHE_ISA_FLAGS_OK_${LATHE_ISA_RESOLVED})
    message(FATAL_ERROR "The compiler ${CMAKE_CXX_COMPILER} does not accept the ${LATHE_ISA_RESOLVED} "
                        "flags (${_flags_str}). Use a newer compiler or another LATHE_ISA.")
  endif()
endif()

if(LATHE_NEON_I8MM)
  message(STATUS "Lathe kernel ISA: ${LATHE_ISA_RESOLVED} with i8mm (LATHE_ISA=${LATHE_ISA}, LATHE_NEON_I8MM=ON)")
else()
  message(STATUS "Lathe kernel ISA: ${LATHE_ISA_RESOLVED} (LATHE_ISA=${LATHE_ISA})")
endif()
