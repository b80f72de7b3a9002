# LATHE_FUZZ=ON builds the libFuzzer targets in tests/fuzz/ (clang only) and
# instruments every Lathe target for coverage, AddressSanitizer and UBSan.
option(LATHE_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

if(LATHE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LATHE_FUZZ needs clang (libFuzzer); configure with CC=clang CXX=clang++ "
                        "and install the Debian package libclang-rt-14-dev (or the version matching clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
