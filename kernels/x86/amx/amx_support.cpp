// Whether the AMX gemm may run: CPUID says the CPU has AMX-TILE and AMX-INT8,
// XCR0 says the OS manages the tile state, and Linux grants this process the
// tile data (arch_prctl ARCH_REQ_XCOMP_PERM for XTILEDATA; without it the
// first tile instruction that touches the data raises SIGILL). Compiled with
// the avx512 flags only: nothing here needs the tile instructions, so a build
// whose compiler lacks them can still say why AMX is off.

#include "kernels/x86/amx/amx_kernels.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>


namespace lathe::kernels::amx {
namespace {

constexpr unsigned long kArchReqXcompPerm = 0x1023;                       // ARCH_REQ_XCOMP_PERM (asm/prctl.h)
constexpr unsigned long kXfeatureXtiledata = 18;                          // XFEATURE_XTILEDATA
constexpr uint64_t kXcr0Tile = (uint64_t{1} << 17) | (uint64_t{1} << 18); // XTILECFG | XTILEDATA

uint64_t read_xcr0() {
  uint32_t lo = 0;
  uint32_t hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0)); // XCR0 (needs OSXSAVE)
  return (uint64_t{hi} << 32) | lo;
}

int request_permission() {
  static const int error = [] {
    const long rc = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata);
    return rc == 0 ? 0 : errno;
  }();
  return error;
}

} // namespace

Probe probe() {
  Probe p;
  unsigned a = 0;
  unsigned b = 0;
  unsigned c = 0;
  unsigned d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) p.os_xsave = (c >> 27) & 1;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    p.cpu_tile = (d >> 24) & 1;
    p.cpu_int8 = (d >> 25) & 1;
  }
  if (p.os_xsave) p.xcr0 = read_xcr0();
  if (p.cpu_tile && p.cpu_int8 && (p.xcr0 & kXcr0Tile) == kXcr0Tile)
    p.permission_error = request_permission();
  return p;
}

Status judge(const Probe& p) {
  if (!p.cpu_tile || !p.cpu_int8) return {false, "the CPU has no AMX-TILE/AMX-INT8"};
  if (!p.os_xsave || (p.xcr0 & kXcr0Tile) != kXcr0Tile)
    return {false, "the OS has not enabled the tile state (XCR0)"};
  if (p.permission_error != 0) {
    return {false, p.permission_error < 0 ? std::string("the tile data permission was not requested")
                                          : "the kernel refused the tile data permission (arch_prctl: " +
                                                std::string(std::strerror(p.permission_error)) + ")"};
  }
  return {true, ""};
}

const Status& status() {
  static const Status s = judge(probe());
  return s;
}

} // namespace lathe::kernels::amx
