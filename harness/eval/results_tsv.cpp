#include "harness/eval/results_tsv.h"

#include <algorithm>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace lathe::harness {
namespace {

constexpr std::array<std::string_view, 21> kColumns = {
    "experiment",     "commit",         "time",          "suite",           "workload",       "avg_generation_tps",
    "generation_tps_cv", "avg_prompt_tps", "avg_ttft_ms",  "peak_memory_gb",  "bandwidth_gbs",  "bandwidth_share",
    "ref_perplexity", "kl_divergence",  "top1_agreement", "sanity_check",   "quality_pass",   "harness_intact",
    "measurement_trusted", "status",    "description",
};

std::string header_line(std::span<const std::string_view> columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += '\t';
    out += columns[i];
  }
  return out + '\n';
}

size_t count_fields(std::string_view line) {
  size_t n = 1;
  for (char c : line) n += c == '\t';
  return n;
}

// Closes the descriptor (and so releases its flock) on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text() { return std::strerror(errno); }

// The whole file through `fd`, from offset 0 (pread: the O_APPEND offset is irrelevant).
bool read_all(int fd, std::string& out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool lock(int fd, int operation) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

} // namespace

std::span<const std::string_view> results_columns() { return kColumns; }

std::string tsv_field(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string check_results_text(std::string_view text, std::span<const std::string_view> columns) {
  if (text.empty()) return {};
  if (text.back() != '\n') return "the last line is unfinished (no newline at the end)";
  const std::string header = header_line(columns);
  if (!text.starts_with(header)) {
    const std::string_view first = text.substr(0, text.find('\n'));
    return fmt::format("line 1 is not the expected header (got \"{}\")", first.substr(0, 120));
  }
  size_t line_no = 1;
  std::string_view rest = text.substr(header.size());
  while (!rest.empty()) {
    ++line_no;
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (count_fields(line) != columns.size()) {
      return fmt::format("line {} has {} fields, expected {}", line_no, count_fields(line), columns.size());
    }
    rest = rest.substr(nl + 1);
  }
  return {};
}

AppendOutcome append_result_row(const std::filesystem::path& file, std::span<const std::string> fields,
                                std::span<const std::string_view> columns) {
  AppendOutcome out;
  if (fields.size() != columns.size()) {
    out.problem = fmt::format("internal: {} fields for {} columns", fields.size(), columns.size());
    return out;
  }
  const Fd fd(::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    out.problem = fmt::format("cannot open {}: {}", file.string(), errno_text());
    return out;
  }
  if (!lock(fd.get(), LOCK_EX)) {
    out.problem = fmt::format("cannot lock {}: {}", file.string(), errno_text());
    return out;
  }
  std::string existing;
  if (!read_all(fd.get(), existing)) {
    out.problem = fmt::format("cannot read {}: {}", file.string(), errno_text());
    return out;
  }
  // A row is written with one write() under the lock and ends with the only
  // newline it holds, but the kernel may stop a write to a file between two
  // pages when a fatal signal arrives: a writer killed there leaves the start
  // of its row, with no newline and (unless the cut fell in the last field)
  // fewer fields than the header. Such a line is cut off, back to the last
  // whole row. An unfinished line with every field may be a whole row someone
  // typed without the final newline: it is reported below, not touched.
  const size_t line_start = existing.rfind('\n') == std::string::npos ? 0 : existing.rfind('\n') + 1;
  if (line_start > 0 && existing.back() != '\n' &&
      static_cast<size_t>(std::count(existing.begin() + static_cast<std::ptrdiff_t>(line_start), existing.end(),
                                     '\t')) +
              1 <
          columns.size()) {
    if (::ftruncate(fd.get(), static_cast<off_t>(line_start)) != 0) {
      out.problem = fmt::format("cannot remove the partial row an interrupted evaluation left in {}: {}",
                                file.string(), errno_text());
      return out;
    }
    existing.resize(line_start);
    out.repaired_partial_row = true;
  }
  if (const std::string problem = check_results_text(existing, columns); !problem.empty()) {
    out.problem = fmt::format("{} is damaged ({}); it was left untouched and no row was added. "
                              "Repair or move it, then run again",
                              file.string(), problem);
    return out;
  }
  std::string text = existing.empty() ? header_line(columns) : std::string();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) text += '\t';
    text += tsv_field(fields[i]);
  }
  text += '\n';
  // One write(): with O_APPEND the kernel places it at the end as a unit.
  ssize_t n;
  do {
    n = ::write(fd.get(), text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) {
    out.problem = n < 0 ? fmt::format("cannot write {}: {}", file.string(), errno_text())
                        : fmt::format("short write to {} ({} of {} bytes, the disk may be full)", file.string(), n,
                                      text.size());
    // Still holding the lock: nobody else appended since we read the file, so
    // cutting it back to that size removes exactly our partial row.
    if (n > 0 && ::ftruncate(fd.get(), static_cast<off_t>(existing.size())) != 0) {
      out.problem += fmt::format("; removing the partial row failed too ({}): the file is now damaged", errno_text());
    }
    return out;
  }
  ::fdatasync(fd.get());
  out.appended = true;
  return out;
}

std::vector<std::map<std::string, std::string>> read_result_rows(const std::filesystem::path& file,
                                                                 std::span<const std::string_view> columns) {
  std::vector<std::map<std::string, std::string>> rows;
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return rows;
    throw std::runtime_error(fmt::format("cannot open {}: {}", file.string(), errno_text()));
  }
  std::string text;
  if (!lock(fd.get(), LOCK_SH) || !read_all(fd.get(), text)) {
    throw std::runtime_error(fmt::format("cannot read {}: {}", file.string(), errno_text()));
  }
  if (const std::string problem = check_results_text(text, columns); !problem.empty()) {
    throw std::runtime_error(fmt::format("{} is damaged: {}", file.string(), problem));
  }
  std::string_view rest = std::string_view(text).substr(std::min(text.size(), header_line(columns).size()));
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = rest.substr(nl + 1);
    std::map<std::string, std::string> row;
    for (const std::string_view column : columns) {
      const size_t tab = line.find('\t');
      row[std::string(column)] = std::string(line.substr(0, tab));
      line = tab == std::string_view::npos ? std::string_view{} : line.substr(tab + 1);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace lathe::harness
