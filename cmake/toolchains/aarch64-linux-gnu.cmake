# Cross-compiling for arm64 Linux with Debian's g++-aarch64-linux-gnu; the
# tests run under qemu-user (package qemu-user). Used by scripts/test-arm64:
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DLATHE_ISA=neon -DLATHE_KERNELS_ONLY=ON
#
# The engine's dependencies are not installed for arm64, so only the kernels
# and their tests are built (LATHE_KERNELS_ONLY).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Headers and libraries from the arm64 sysroot only; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test executables run under user-mode emulation: ctest and the test
# discovery of gtest_discover_tests (at build time) both prefix them with
# this. -L finds the arm64 dynamic loader and libraries; -cpu max enables
# every extension qemu emulates, the dot product and fp16 among them.
find_program(LATHE_QEMU_AARCH64 qemu-aarch64)
if(LATHE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${LATHE_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu;-cpu;max")
endif()
