#include "bench/run_lathe.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lathe::testing {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const std::filesystem::path& p) {
  std::ostringstream s;
  s << std::ifstream(p, std::ios::binary).rdbuf();
  return s.str();
}

} // namespace

LatheRun run_lathe(const std::vector<std::string>& args) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const auto out = dir / ("lathe-bench-test-" + tag + ".out"), err = dir / ("lathe-bench-test-" + tag + ".err");
  std::string command = quote(LATHE_BINARY);
  for (const std::string& a : args) command.append(" ").append(quote(a));
  command.append(" >").append(quote(out.string())).append(" 2>").append(quote(err.string())).append(" </dev/null");
  const int status = std::system(command.c_str());
  LatheRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

} // namespace lathe::testing
