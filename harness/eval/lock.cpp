#include "harness/eval/lock.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/eval/sha256.h"

namespace lathe::harness {
namespace {

constexpr std::string_view kLockName = "LOCK";

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

LockEntries parse_lock(std::string_view text, std::vector<std::string>& problems) {
  LockEntries entries;
  int64_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // sha256sum's text format: 64 hex digits, two spaces (or " *" in binary mode), the path.
    const bool ok = line.size() > 66 && is_hex64(line.substr(0, 64)) && line[64] == ' ' &&
                    (line[65] == ' ' || line[65] == '*');
    if (!ok) {
      problems.push_back(fmt::format("LOCK line {}: not \"<sha256>  <path>\": {}", line_no, line));
      continue;
    }
    const std::string path(line.substr(66));
    if (!entries.emplace(path, std::string(line.substr(0, 64))).second) {
      problems.push_back(fmt::format("LOCK line {}: {} is listed twice", line_no, path));
    }
  }
  return entries;
}

std::vector<std::string> list_harness_files(const std::filesystem::path& dir, std::vector<std::string>& problems) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = it->path().lexically_relative(dir);
    const fs::file_status st = it->symlink_status();
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) {
      problems.push_back(fmt::format("not a regular file: {}", rel.generic_string()));
      continue;
    }
    if (rel == kLockName) continue;
    files.push_back(rel.generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

LockReport verify_lock(const std::filesystem::path& dir) {
  LockReport report;
  const std::filesystem::path lock_path = dir / kLockName;
  if (!std::filesystem::is_regular_file(lock_path)) {
    report.problems.push_back(fmt::format("{} is missing (run harness/relock)", lock_path.string()));
    return report;
  }
  const std::string text = read_text(lock_path);
  report.lock_sha256 = sha256_hex(text);
  report.entries = parse_lock(text, report.problems);
  const LockEntries& lock = report.entries;

  std::set<std::string> seen;
  for (const std::string& file : list_harness_files(dir, report.problems)) {
    seen.insert(file);
    ++report.files_checked;
    const auto it = lock.find(file);
    if (it == lock.end()) {
      report.problems.push_back(fmt::format("not in LOCK: {}", file));
    } else if (sha256_file(dir / file) != it->second) {
      report.problems.push_back(fmt::format("modified: {}", file));
    }
  }
  for (const auto& [file, digest] : lock) {
    if (!seen.contains(file)) report.problems.push_back(fmt::format("missing: {}", file));
  }
  report.intact = report.problems.empty() && !lock.empty();
  if (lock.empty() && report.problems.empty()) report.problems.push_back("LOCK lists no files");
  return report;
}

std::string make_lock(const std::filesystem::path& dir) {
  std::vector<std::string> problems;
  std::string out;
  for (const std::string& file : list_harness_files(dir, problems)) {
    out += fmt::format("{}  {}\n", sha256_file(dir / file), file);
  }
  return out;
}

void check_build_hashes(const LockEntries& lock, const LockEntries& built, std::vector<std::string>& problems) {
  for (const auto& [file, digest] : built) {
    const auto it = lock.find(file);
    if (it == lock.end()) {
      problems.push_back(fmt::format("lathe-eval was built from {}, which LOCK does not list", file));
    } else if (it->second != digest) {
      problems.push_back(fmt::format("lathe-eval was built from a {} that differs from LOCK (rebuild it)", file));
    }
  }
}

} // namespace lathe::harness
