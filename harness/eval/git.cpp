#include "harness/eval/git.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace lathe::harness {
namespace {

// POSIX shell single-quoting: safe for any byte string.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    const size_t end = s.find('\0', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

} // namespace

std::optional<std::string> Git::run(const std::vector<std::string>& args) const {
  std::string cmd = "git -C " + quote(root_.string());
  for (const std::string& a : args) {
    cmd += ' ';
    cmd += quote(a);
  }
  cmd += " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

bool Git::available() const {
  const auto r = run({"rev-parse", "--is-inside-work-tree"});
  return r && trim(*r) == "true";
}

std::optional<std::string> Git::resolve(const std::string& rev) const {
  const auto r = run({"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
  if (!r) return std::nullopt;
  return trim(*r);
}

std::string Git::short_hash(const std::string& commit) const {
  const auto r = run({"rev-parse", "--short=10", commit});
  return r ? trim(*r) : commit.substr(0, 10);
}

std::string Git::subject(const std::string& commit) const {
  const auto r = run({"log", "-1", "--format=%s", commit});
  return r ? trim(*r) : std::string();
}

bool Git::dirty() const {
  const auto r = run({"status", "--porcelain", "--untracked-files=normal"});
  return r && !trim(*r).empty();
}

std::vector<std::string> Git::changed_files(const std::string& base) const {
  std::vector<std::string> out;
  // -z: paths verbatim. Renames come as "R100\0old\0new".
  if (const auto r = run({"diff", "--name-status", "-z", "-M", base, "--"})) {
    const std::vector<std::string> f = split_nul(*r);
    for (size_t i = 0; i < f.size();) {
      const std::string status = f[i];
      if (status.empty()) {
        ++i;
        continue;
      }
      if ((status[0] == 'R' || status[0] == 'C') && i + 2 < f.size()) {
        out.push_back(std::string(1, status[0]) + " " + f[i + 1] + " -> " + f[i + 2]);
        i += 3;
      } else {
        out.push_back(std::string(1, status[0]) + " " + (i + 1 < f.size() ? f[i + 1] : std::string()));
        i += 2;
      }
    }
  }
  if (const auto r = run({"ls-files", "-z", "--others", "--exclude-standard"})) {
    for (const std::string& path : split_nul(*r)) {
      if (!path.empty()) out.push_back("? " + path);
    }
  }
  return out;
}

std::optional<std::string> Git::show(const std::string& commit, const std::string& path) const {
  return run({"show", commit + ":" + path});
}

bool Git::is_ancestor(const std::string& a, const std::string& b) const {
  return run({"merge-base", "--is-ancestor", a, b}).has_value();
}

} // namespace lathe::harness
