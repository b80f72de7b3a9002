# GoogleTest for a kernels-only build (LATHE_KERNELS_ONLY), where it is the
# one dependency. A native build finds the system's (libgtest-dev) like every
# other dependency. A cross build cannot link the host's libraries, so it
# compiles Debian's GoogleTest sources (package googletest) for the target;
# nothing is downloaded.

if(CMAKE_CROSSCOMPILING)
  set(LATHE_GOOGLETEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH
      "GoogleTest sources compiled for the target when cross-compiling")
  if(NOT EXISTS "${LATHE_GOOGLETEST_SOURCE_DIR}/CMakeLists.txt")
    message(FATAL_ERROR "A cross build of the kernel tests needs the GoogleTest sources in "
                        "${LATHE_GOOGLETEST_SOURCE_DIR}: install the Debian package 'googletest' "
                        "(apt-get install googletest) or set LATHE_GOOGLETEST_SOURCE_DIR")
  endif()
  set(BUILD_GMOCK OFF CACHE BOOL "Lathe's kernel tests need no GoogleMock" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "Lathe installs no GoogleTest" FORCE)
  # Defines GTest::gtest and GTest::gtest_main, as find_package does.
  add_subdirectory("${LATHE_GOOGLETEST_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/googletest" EXCLUDE_FROM_ALL SYSTEM)
else()
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(FATAL_ERROR "Lathe needs GTest: install the Debian package 'libgtest-dev' "
                        "(apt-get install libgtest-dev), or run scripts/setup")
  endif()
endif()
find_package(Threads REQUIRED)
