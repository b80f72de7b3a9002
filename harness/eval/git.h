// Read-only questions to git about the source tree, for the change monitor
// and the results row. Every call runs `git -C <root> ...`; nothing here
// changes the repository.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lathe::harness {

class Git {
 public:
  explicit Git(std::filesystem::path root) : root_(std::move(root)) {}

  // True when `root` is inside a git work tree and git runs.
  bool available() const;
  // The full hash of a revision, or nullopt when it does not resolve to a commit.
  std::optional<std::string> resolve(const std::string& rev) const;
  std::string short_hash(const std::string& commit) const;
  std::string subject(const std::string& commit) const;
  // Tracked files modified, staged or deleted, and untracked files not ignored.
  bool dirty() const;
  // Files that differ between `base` and the work tree (tracked changes and
  // untracked files), as "<status> <path>" with status A, M, D, R or ?.
  std::vector<std::string> changed_files(const std::string& base) const;
  // The contents of `path` at `commit`, or nullopt when it does not exist there.
  std::optional<std::string> show(const std::string& commit, const std::string& path) const;
  bool is_ancestor(const std::string& a, const std::string& b) const;

 private:
  // Runs git with `args`; returns its standard output, or nullopt on a non-zero exit.
  std::optional<std::string> run(const std::vector<std::string>& args) const;

  std::filesystem::path root_;
};

} // namespace lathe::harness
