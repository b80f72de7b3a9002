// Runs the `lathe` binary (LATHE_BINARY) with arguments and collects its exit
// code, standard output and standard error.
#pragma once

#include <string>
#include <vector>

namespace lathe::testing {

struct LatheRun {
  int exit_code = -1;
  std::string out, err;
};

LatheRun run_lathe(const std::vector<std::string>& args);

} // namespace lathe::testing
