# Every dependency comes from the system (Debian packages); nothing is
# downloaded at build time. A missing one stops configure and names the
# package that provides it.

macro(lathe_require name debian_package)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "Lathe needs ${name}: install the Debian package '${debian_package}' "
                        "(apt-get install ${debian_package}), or run scripts/setup")
  endif()
endmacro()

find_package(yaml-cpp QUIET)
lathe_require(yaml-cpp libyaml-cpp-dev)
find_package(fmt QUIET)
lathe_require(fmt libfmt-dev)
find_package(Eigen3 3.3 QUIET NO_MODULE)
lathe_require(Eigen3 libeigen3-dev)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
lathe_require(BLAS libopenblas-dev)
# OpenBLAS's own cblas.h (it declares openblas_set_num_threads), not whichever
# cblas.h the system's alternatives point at.
find_path(LATHE_OPENBLAS_INCLUDE_DIR cblas.h
          PATH_SUFFIXES ${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread ${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp
                        openblas-pthread openblas NO_DEFAULT_PATH PATHS /usr/include /usr/local/include)
if(NOT LATHE_OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "Lathe needs OpenBLAS's cblas.h: install the Debian package 'libopenblas-dev'")
endif()
find_package(OpenMP QUIET COMPONENTS CXX)
lathe_require(OpenMP "libgomp1 (with g++) or libomp-dev (with clang)")
find_package(CLI11 QUIET)
lathe_require(CLI11 libcli11-dev)
find_package(nlohmann_json QUIET)
lathe_require(nlohmann_json nlohmann-json3-dev)
find_package(OpenSSL QUIET COMPONENTS Crypto)
lathe_require(OpenSSL libssl-dev)
find_package(PkgConfig QUIET)
lathe_require(PkgConfig pkg-config)
pkg_check_modules(PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
lathe_require(PCRE2 libpcre2-dev)
if(LATHE_BUILD_TESTS)
  find_package(GTest QUIET)
  lathe_require(GTest libgtest-dev)
endif()
if(LATHE_BUILD_BENCH)
  find_package(benchmark QUIET)
  lathe_require(benchmark libbenchmark-dev)
endif()
find_package(Threads REQUIRED)
