// harness/LOCK: the SHA-256 of every file under harness/ (LOCK itself
// excepted), one "<sha256>  <path>" line per file as sha256sum prints it,
// paths relative to harness/. harness/relock writes it; the eval verifies it
// before anything else. Any difference (a file modified, missing, or present
// but not listed) makes the harness not intact, and then no result passes.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::harness {

// path (relative to harness/, '/'-separated) -> sha256 hex.
using LockEntries = std::map<std::string, std::string>;

struct LockReport {
  bool intact = false;
  int64_t files_checked = 0;
  std::string lock_sha256;           // digest of the LOCK file itself ("" when unreadable)
  std::map<std::string, std::string> entries; // what LOCK lists
  std::vector<std::string> problems; // one line each: "modified: eval/main.cpp", ...
};

// Parses LOCK text. Lines starting with '#' and blank lines are ignored.
// Malformed lines are appended to `problems` (with their line number).
LockEntries parse_lock(std::string_view text, std::vector<std::string>& problems);

// Every regular file under `dir`, relative and '/'-separated, except the
// top-level LOCK; anything that is not a regular file or directory (a
// symlink, a device) is appended to `problems`.
std::vector<std::string> list_harness_files(const std::filesystem::path& dir, std::vector<std::string>& problems);

// Verifies `dir`/LOCK against the files under `dir`.
LockReport verify_lock(const std::filesystem::path& dir);

// The LOCK text for the files under `dir` now (what harness/relock writes).
std::string make_lock(const std::filesystem::path& dir);

// Compares the digests compiled into lathe-eval (of its own sources, taken
// when it was built) with the LOCK: a binary built from sources other than the
// locked ones is not the frozen harness. Appends one problem per difference.
void check_build_hashes(const LockEntries& lock, const LockEntries& built, std::vector<std::string>& problems);

} // namespace lathe::harness
