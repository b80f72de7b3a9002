// <immintrin.h> for the x86 kernels. Include this first, instead of the
// header itself.
//
// GCC 12 warns -Wmaybe-uninitialized / -Wuninitialized inside many AVX-512
// intrinsics (their "undefined" pass-through operand is a self-initialised
// variable; GCC bug 105593). The warning points into the intrinsics header, so it is silenced
// for that header's lines only; the kernels' own code keeps the warning.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
